/* icrec: records inter-core traffic on the target, in capture format v1 (docs/recorder.md).
 *
 * C99, freestanding: no libc, no allocation. Each core owns one ring and writes only to it, so
 * recording never takes a lock or waits on the other core. A core's own interrupt handlers may
 * record too: a record is reserved, filled (its payload copied, up to ICREC_MAX_PAYLOAD bytes)
 * and published with that core's interrupts masked, so the longest masked stretch grows with
 * the payload; the other core is never held up.
 * icrec_drain(), called by whichever single context the port chooses, hands framed records to
 * the port's byte sink: COBS frames ending in 0x00, each checked by a CRC-32.
 */
#ifndef ICREC_H
#define ICREC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef ICREC_MAX_CORES
#define ICREC_MAX_CORES 2
#endif
/* Streams one core records on: a stream is (kind, channel, src, dst, RX). */
#ifndef ICREC_MAX_STREAMS
#define ICREC_MAX_STREAMS 16
#endif
/* Payload bytes one record carries at most; longer payloads are cut and flagged. */
#ifndef ICREC_MAX_PAYLOAD
#define ICREC_MAX_PAYLOAD 512
#endif

enum icrec_kind { ICREC_MAILBOX = 0, ICREC_MESSAGE = 1, ICREC_UART = 2, ICREC_TRACE = 3 };

#define ICREC_OFF_CHIP 0xFEu
/* The LOSS flag where it sits in the record header's second stored word. */
#define ICREC_LOSS_FLAG (2u << 24)
#define ICREC_UNKNOWN 0xFFu

/* One core's ring: filled by that core, emptied by the drain. `head` and `tail` only grow;
 * the position in `bytes` is taken modulo `size`, a power of two. */
struct icrec_ring {
    volatile uint32_t head;
    volatile uint32_t tail;
    uint32_t size;
    uint8_t *bytes;
};

struct icrec_core;

struct icrec_stream {
    struct icrec_core *core; /* the core whose ring it records into */
    uint32_t key;            /* kind << 24 | channel << 16 | src << 8 | dst */
    uint32_t header0;        /* the record header's first two words as stored (little-endian) */
    uint32_t header1;
    volatile uint32_t next_seq;
    volatile uint32_t dropped;  /* records dropped so far, ever growing */
    uint8_t rx;             /* 1: taken at the receiving side */
    uint32_t loss_flag;     /* ICREC_LOSS_FLAG: the next record carries the LOSS flag */
};

struct icrec_core {
    struct icrec_ring ring;
    struct icrec_stream streams[ICREC_MAX_STREAMS];
    volatile uint32_t stream_count;
    /* 64-bit time from the port's counter: the wraps seen by this core. */
    uint32_t time_high;
    uint32_t time_last;
    /* Records dropped because the stream table was full (they belong to no stream). */
    volatile uint32_t unstreamed_drops;
};

/* What the host needs to turn the drained stream into a capture (the stream header). */
struct icrec_config {
    uint64_t clock_hz;          /* frequency of the port's counter */
    uint8_t core_count;
    const char *core_names[ICREC_MAX_CORES];  /* short names, such as "cm33-0" */
};

/* The recorder's state, in memory every core and the drain can read (on the STM32H747:
 * non-cacheable shared SRAM, see docs/recorder.md). */
struct icrec {
    struct icrec_core cores[ICREC_MAX_CORES];
    const struct icrec_config *config;
    /* The drain's own state. */
    uint32_t reported_drops[ICREC_MAX_CORES][ICREC_MAX_STREAMS];
    uint32_t reported_seq[ICREC_MAX_CORES][ICREC_MAX_STREAMS];
    uint32_t reported_unstreamed[ICREC_MAX_CORES];
    uint8_t header_sent;
};

/* A stream handle: taken once, used on every record; NULL when the core's table was full. */
typedef struct icrec_stream *icrec_stream_t;

/* Sets up the recorder with one ring per core: `ring_bytes[c]` is a power of two. Call once,
 * before any core records. */
void icrec_init(struct icrec *rec, const struct icrec_config *config, uint8_t *const ring_memory[],
                const uint32_t ring_bytes[]);

/* The stream (kind, channel, src, dst, rx) of the calling core; invalid when its table is full. */
icrec_stream_t icrec_stream(struct icrec *rec, enum icrec_kind kind, uint8_t channel, uint8_t src, uint8_t dst,
                            int rx);

/* Records `length` payload bytes on a stream. Returns 0 when recorded, -1 when dropped (the
 * ring was full): the drop still uses its sequence number and is reported. */
int icrec_record(struct icrec *rec, icrec_stream_t stream, const void *payload, uint32_t length);

/* Records one 32-bit word (a mailbox FIFO push or pop): the cheapest record. */
int icrec_record_word(struct icrec *rec, icrec_stream_t stream, uint32_t word);

/* Shorthands that find the stream each time (a few instructions more than icrec_record). */
int icrec_mailbox(struct icrec *rec, uint8_t fifo, uint8_t src, uint8_t dst, int rx, uint32_t word);
int icrec_message(struct icrec *rec, uint8_t endpoint, uint8_t src, uint8_t dst, int rx, const void *body,
                  uint32_t length);
int icrec_uart(struct icrec *rec, uint8_t uart, uint8_t core, const void *bytes, uint32_t length);

/* Trace events of format v1, encoded as its MessagePack `[event, args]` by the calling core. */
int icrec_core_start(struct icrec *rec, uint8_t started_core);
int icrec_init_done(struct icrec *rec);
int icrec_lock_acquire(struct icrec *rec, uint32_t lock);
int icrec_lock_release(struct icrec *rec, uint32_t lock);
int icrec_dev_begin(struct icrec *rec, const char *device);
int icrec_dev_end(struct icrec *rec, const char *device);
int icrec_heap_alloc(struct icrec *rec, uint32_t bytes);
int icrec_heap_lock(struct icrec *rec);
int icrec_irq_enter(struct icrec *rec, uint32_t irq);
int icrec_irq_exit(struct icrec *rec, uint32_t irq);
int icrec_fault(struct icrec *rec, uint32_t code, const char *text);
int icrec_fn_enter(struct icrec *rec, const char *name);
int icrec_fn_exit(struct icrec *rec, const char *name);
int icrec_mem_read(struct icrec *rec, const char *region);
int icrec_mem_write(struct icrec *rec, const char *region);

/* Hands what the rings hold to the port's byte sink, as frames: the stream header first, then
 * records, then a stream report (next seq, records dropped) for every stream that recorded or
 * dropped since the last one: a stream whose last records were lost, by the ring or by a
 * corrupted frame on the way, still shows how many. Returns
 * the number of records drained. Only one context may drain. */
uint32_t icrec_drain(struct icrec *rec);

/* Frame types of the drained stream. */
enum icrec_frame { ICREC_FRAME_HEADER = 'H', ICREC_FRAME_RECORD = 'R', ICREC_FRAME_DROPS = 'D' };

#ifdef __cplusplus
}
#endif
#endif
