/* Example firmware for QEMU's mps2-an521: core 0 starts core 1 and calls servo functions on it
 * over MessagePack-RPC through a shared-memory channel; both cores print to UART0; the
 * recorder drains over UART1. Built three ways (Makefile): PLANTED prints without the agreed
 * lock (the bug), the fix holds spinlock 1 around every print, and TINY rings lose records. */
#include <stddef.h>
#include <stdint.h>

#include "an521.h"
#include "firmware.h"
#include "icrec.h"
#include "icrec_port.h"

#ifndef RING_BYTES
#define RING_BYTES 16384
#endif
#ifndef SERVO_WRITES
#define SERVO_WRITES 8
#endif
#define UART_LOCK 1u
/* One byte at 115200 8N1 is 10 bits: 86.8 us, in ticks of the 20 MHz counter. */
#define BYTE_TICKS (AN521_COUNTER_HZ / 11520u)

extern const void *const vectors_core1[];

static struct icrec rec;
static uint8_t ring0[RING_BYTES] __attribute__((aligned(8)));
static uint8_t ring1[RING_BYTES] __attribute__((aligned(8)));
static const struct icrec_config config = {AN521_COUNTER_HZ, 2, {"cm33-0", "cm33-1"}};

/* A one-message slot per direction in shared SRAM. */
struct slot {
    volatile uint32_t full;
    uint32_t length;
    uint8_t bytes[64];
};
static struct slot to_core1, to_core0;
static volatile uint32_t core1_ready;
#ifndef PLANTED
static volatile uint32_t uart_spinlock;
#endif

static void barrier(void) { __asm__ volatile("dmb" : : : "memory"); }

/* Every wait yields: QEMU runs the two cores in turns, and a core that spins without yielding
 * keeps the other stopped for a whole time slice. */
static void spin(void) { __asm__ volatile("yield" : : : "memory"); }

static uint32_t text_length(const char *text) {
    uint32_t n = 0;
    while (text[n]) n++;
    return n;
}

/* QEMU's UART has no line timing: the firmware waits as long as the bytes take on the wire,
 * so that what the capture shows is what a real 115200-baud line would do. */
static void wait_ticks(uint32_t ticks) {
    uint32_t start = AN521_COUNTER;
    while (AN521_COUNTER - start < ticks) spin();
}

#ifndef PLANTED
static void lock_uart(void) {
    while (__atomic_exchange_n(&uart_spinlock, 1u, __ATOMIC_ACQUIRE)) spin();
    icrec_lock_acquire(&rec, UART_LOCK);
}

static void unlock_uart(void) {
    icrec_lock_release(&rec, UART_LOCK);
    __atomic_store_n(&uart_spinlock, 0u, __ATOMIC_RELEASE);
}
#endif

static void print(const char *text) {
#ifndef PLANTED
    lock_uart();
#endif
    uint32_t n = text_length(text);
    icrec_uart(&rec, 0, (uint8_t)icrec_port_core(), text, n);
    console_write(text);
    wait_ticks(n * BYTE_TICKS);
#ifndef PLANTED
    unlock_uart();
#endif
}

static void send(struct slot *slot, icrec_stream_t stream, const uint8_t *bytes, uint32_t length) {
    while (slot->full) spin();
    for (uint32_t i = 0; i < length; i++) slot->bytes[i] = bytes[i];
    slot->length = length;
    icrec_record(&rec, stream, bytes, length);
    barrier();
    slot->full = 1;
}

static uint32_t receive(struct slot *slot, uint8_t *bytes) {
    while (!slot->full) spin();
    barrier();
    uint32_t length = slot->length;
    for (uint32_t i = 0; i < length; i++) bytes[i] = slot->bytes[i];
    barrier();
    slot->full = 0;
    return length;
}

static uint32_t put_text(uint8_t *out, const char *text) {
    uint32_t n = text_length(text);
    out[0] = (uint8_t)(0xA0u | n);
    for (uint32_t i = 0; i < n; i++) out[1 + i] = (uint8_t)text[i];
    return n + 1;
}

/* [0, msgid, method, [args...]] with small unsigned arguments. */
static uint32_t request(uint8_t *out, uint8_t msgid, const char *method, const uint8_t *args, uint32_t count) {
    uint32_t n = 0;
    out[n++] = 0x94;
    out[n++] = 0x00;
    out[n++] = msgid;
    n += put_text(out + n, method);
    out[n++] = (uint8_t)(0x90u | count);
    for (uint32_t i = 0; i < count; i++) {
        if (args[i] >= 0x80) out[n++] = 0xCC;
        out[n++] = args[i];
    }
    return n;
}

static icrec_stream_t calls_out;

static void call(uint8_t msgid, const char *method, const uint8_t *args, uint32_t count) {
    uint8_t bytes[64];
    uint32_t n = request(bytes, msgid, method, args, count);
    send(&to_core1, calls_out, bytes, n);
    print("core0: called ");
    print(method);
    print("\n");
    receive(&to_core0, bytes);
#ifndef TINY
    icrec_drain(&rec);
#endif
}

static void print_number(uint32_t value) {
    char digits[11];
    int n = 0;
    do { digits[n++] = (char)('0' + value % 10u); value /= 10u; } while (value);
    char text[12];
    for (int i = 0; i < n; i++) text[i] = digits[n - 1 - i];
    text[n] = 0;
    console_write(text);
}

void main_core0(void) {
    AN521_UART_BAUDDIV(AN521_UART0) = 16;
    AN521_UART_CTRL(AN521_UART0) = 1;
    AN521_UART_BAUDDIV(AN521_UART1) = 16;
    AN521_UART_CTRL(AN521_UART1) = 1;
    uint8_t *const memory[] = {ring0, ring1};
    const uint32_t sizes[] = {RING_BYTES, RING_BYTES};
    icrec_init(&rec, &config, memory, sizes);
    calls_out = icrec_stream(&rec, ICREC_MESSAGE, 0, 0, 1, 0);
    icrec_init_done(&rec);
    icrec_core_start(&rec, 1);
    AN521_INITSVTOR1 = (uint32_t)(uintptr_t)vectors_core1;
    AN521_CPUWAIT = AN521_CPUWAIT & ~2u;
    while (!core1_ready) spin();
    uint8_t msgid = 1;
    call(msgid++, "servo_new", 0, 0);
    const uint8_t attach[] = {0, 6};
    call(msgid++, "servo_attach", attach, 2);
    for (uint32_t i = 0; i < SERVO_WRITES; i++) {
        const uint8_t write[] = {0, (uint8_t)(64 + i)};
        call(msgid++, "servo_write", write, 2);
    }
    icrec_drain(&rec);
    uint32_t dropped = 0;
    for (uint32_t c = 0; c < 2; c++) {
        for (uint32_t s = 0; s < rec.cores[c].stream_count; s++) dropped += rec.cores[c].streams[s].dropped;
        dropped += rec.cores[c].unstreamed_drops;
    }
    console_write("icrec dropped ");
    print_number(dropped);
    console_write(" records\n");
}

void main_core1(void) {
    icrec_stream_t answers = icrec_stream(&rec, ICREC_MESSAGE, 0, 1, 0, 0);
    icrec_init_done(&rec);
    core1_ready = 1;
    for (;;) {
        uint8_t bytes[64];
        receive(&to_core1, bytes);
        /* The request as core 0 writes it: [0, msgid, fixstr method, [...]]. */
        uint8_t msgid = bytes[2];
        uint32_t method_length = bytes[3] & 0x1Fu;
        const char *result_of = (const char *)&bytes[4];
        uint8_t response[8] = {0x94, 0x01, msgid, 0xC0, 0xC0};
        if (method_length == 9) response[4] = 0x00;              /* servo_new: servo 0 */
        else if (method_length == 12) response[4] = 0xC3;        /* servo_attach: true */
        (void)result_of;
        print("core1: servo done\n");
        send(&to_core0, answers, response, 5);
    }
}
