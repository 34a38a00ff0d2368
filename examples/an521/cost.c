/* Measures what recording costs on a Cortex-M33: run under QEMU with -icount shift=0, where one
 * instruction takes one nanosecond of the 20 MHz counter's time, so instructions per record are
 * (ticks x 50) / records, less the same loop without the call (scripts/recorder-cost.sh). */
#include <stdint.h>

#include "an521.h"
#include "firmware.h"
#include "icrec.h"

#define RECORDS 2000u
#define RING (1u << 17)

static struct icrec rec;
static uint8_t ring0[RING] __attribute__((aligned(8)));
static uint8_t ring1[64] __attribute__((aligned(8)));
static const struct icrec_config config = {AN521_COUNTER_HZ, 2, {"cm33-0", "cm33-1"}};
static volatile uint32_t sink;

/* Prints hundredths as "12.34". */
static void print_hundredths(const char *what, uint32_t value) {
    char text[16];
    int n = 0;
    uint32_t whole = value / 100u, fraction = value % 100u;
    char digits[10];
    int d = 0;
    do { digits[d++] = (char)('0' + whole % 10u); whole /= 10u; } while (whole);
    while (d) text[n++] = digits[--d];
    text[n++] = '.';
    text[n++] = (char)('0' + fraction / 10u);
    text[n++] = (char)('0' + fraction % 10u);
    text[n] = 0;
    console_write(what);
    console_write(text);
    console_write(" instructions\n");
}

/* Ticks of the loop with the work, less ticks of the loop alone, as hundredths of instructions. */
static uint32_t per_record(uint32_t ticks_with, uint32_t ticks_without) {
    return (ticks_with - ticks_without) * 50u * 100u / RECORDS;
}

#define MEASURE(result, body)                                                          \
    do {                                                                               \
        uint32_t start = AN521_COUNTER;                                                \
        for (uint32_t i = 0; i < RECORDS; i++) { body; }                               \
        result = AN521_COUNTER - start;                                                \
    } while (0)

void main_core0(void) {
    AN521_UART_CTRL(AN521_UART0) = 1;
    AN521_UART_CTRL(AN521_UART1) = 1;
    uint8_t *const memory[] = {ring0, ring1};
    const uint32_t sizes[] = {RING, 64};
    icrec_init(&rec, &config, memory, sizes);
    icrec_stream_t fifo = icrec_stream(&rec, ICREC_MAILBOX, 0, 0, 1, 0);
    icrec_stream_t channel = icrec_stream(&rec, ICREC_MESSAGE, 0, 0, 1, 0);
    static const uint8_t message[16] = {0x94, 0x00, 0x01, 0xAB, 's', 'e', 'r', 'v', 'o', '_', 'w', 'r', 'i', 't', 'e', 0x90};
    uint32_t empty, words, messages, events, drained;
    MEASURE(empty, sink = i);
    MEASURE(words, { icrec_record_word(&rec, fifo, i); sink = i; });
    icrec_drain(&rec);
    MEASURE(messages, { icrec_record(&rec, channel, message, 16); sink = i; });
    icrec_drain(&rec);
    MEASURE(events, { icrec_lock_acquire(&rec, 5); sink = i; });
    MEASURE(drained, { icrec_record_word(&rec, fifo, i); sink = i; });
    uint32_t start = AN521_COUNTER;
    icrec_drain(&rec);
    uint32_t drain = AN521_COUNTER - start;
    print_hundredths("mailbox word (icrec_record_word): ", per_record(words, empty));
    print_hundredths("message (icrec_record, 16 bytes): ", per_record(messages, empty));
    print_hundredths("trace event (icrec_lock_acquire): ", per_record(events, empty));
    print_hundredths("drain of a mailbox record (COBS, CRC-32, UART1): ", per_record(drain, 0));
    (void)drained;
}

void main_core1(void) {}
