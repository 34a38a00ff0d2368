/* Two threads as two cores, recording through the host port: core 0 calls servo_write on core 1
 * over a shared-memory message channel, both print to UART0, and the drain writes the framed
 * stream to standard output. Usage: host_cores CALLS RING_BYTES DRAIN_EVERY
 * (DRAIN_EVERY 0: drain only at the end). Prints on stderr how many records were dropped. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "icrec.h"
#include "icrec_port_host.h"

static struct icrec rec;
static pthread_mutex_t uart_lock = PTHREAD_MUTEX_INITIALIZER;
static int calls;
static volatile int done;
static unsigned long dropped;
static pthread_mutex_t dropped_lock = PTHREAD_MUTEX_INITIALIZER;

/* A one-slot mailbox per direction: the message and a full flag. */
struct slot {
    uint8_t bytes[64];
    uint32_t length;
    volatile int full;
};
static struct slot to_core1, to_core0;

static void count(int result) {
    if (result == 0) return;
    pthread_mutex_lock(&dropped_lock);
    dropped++;
    pthread_mutex_unlock(&dropped_lock);
}

static uint32_t put_msgid(uint8_t *out, uint32_t msgid) {
    if (msgid < 0x80) { out[0] = (uint8_t)msgid; return 1; }
    out[0] = 0xCD; out[1] = (uint8_t)(msgid >> 8); out[2] = (uint8_t)msgid;
    return 3;
}

static void send(struct slot *slot, icrec_stream_t stream, const uint8_t *bytes, uint32_t length) {
    while (slot->full) { }
    memcpy(slot->bytes, bytes, length);
    slot->length = length;
    count(icrec_record(&rec, stream, bytes, length));
    __atomic_store_n(&slot->full, 1, __ATOMIC_RELEASE);
}

static uint32_t receive(struct slot *slot, uint8_t *bytes) {
    while (!__atomic_load_n(&slot->full, __ATOMIC_ACQUIRE)) { }
    uint32_t length = slot->length;
    memcpy(bytes, slot->bytes, length);
    __atomic_store_n(&slot->full, 0, __ATOMIC_RELEASE);
    return length;
}

static void print(const char *text) {
    pthread_mutex_lock(&uart_lock);
    count(icrec_lock_acquire(&rec, 0));
    count(icrec_uart(&rec, 0, (uint8_t)icrec_port_core(), text, (uint32_t)strlen(text)));
    count(icrec_lock_release(&rec, 0));
    pthread_mutex_unlock(&uart_lock);
}

static void *core1(void *unused) {
    (void)unused;
    icrec_host_set_core(1);
    icrec_stream_t answers = icrec_stream(&rec, ICREC_MESSAGE, 0, 1, 0, 0);
    count(icrec_init_done(&rec));
    print("core1 ready\n");
    for (int i = 0; i < calls; i++) {
        uint8_t request[64];
        receive(&to_core1, request);
        /* [0, msgid, "servo_write", [id, 64]]: the msgid starts at byte 2. */
        uint8_t response[16] = {0x94, 0x01};
        uint32_t n = 2;
        n += put_msgid(response + n, (uint32_t)i);
        response[n++] = 0xC0;
        response[n++] = 0x00;
        send(&to_core0, answers, response, n);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: host_cores CALLS RING_BYTES DRAIN_EVERY\n");
        return 2;
    }
    calls = atoi(argv[1]);
    uint32_t ring = (uint32_t)strtoul(argv[2], 0, 10);
    int drain_every = atoi(argv[3]);
    static uint8_t ring0[1 << 20], ring1[1 << 20];
    if (ring > sizeof ring0 || (ring & (ring - 1)) != 0) {
        fprintf(stderr, "RING_BYTES: a power of two up to %zu\n", sizeof ring0);
        return 2;
    }
    static const struct icrec_config config = {1000000u, 2, {"core0", "core1"}};
    uint8_t *const memory[] = {ring0, ring1};
    const uint32_t sizes[] = {ring, ring};
    icrec_init(&rec, &config, memory, sizes);
    icrec_host_set_sink(1);
    icrec_host_set_core(0);
    icrec_stream_t requests = icrec_stream(&rec, ICREC_MESSAGE, 0, 0, 1, 0);
    count(icrec_init_done(&rec));
    count(icrec_core_start(&rec, 1));
    pthread_t thread;
    pthread_create(&thread, 0, core1, 0);
    print("core0 ready\n");
    for (int i = 0; i < calls; i++) {
        uint8_t request[32] = {0x94, 0x00};
        uint32_t n = 2;
        n += put_msgid(request + n, (uint32_t)i);
        request[n++] = 0xAB;
        memcpy(request + n, "servo_write", 11);
        n += 11;
        request[n++] = 0x92;
        request[n++] = 0x01;
        request[n++] = 0x40;
        send(&to_core1, requests, request, n);
        uint8_t response[64];
        receive(&to_core0, response);
        if (drain_every > 0 && i % drain_every == 0) icrec_drain(&rec);
    }
    pthread_join(thread, 0);
    print("done\n");
    icrec_drain(&rec);
    fprintf(stderr, "dropped %lu\n", dropped);
    return 0;
}
