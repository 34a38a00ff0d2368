/* icrec: the recorder's rings, records, trace events and drain. See icrec.h. */
#include "icrec.h"
#include "icrec_port.h"

#define ENTRY_PREFIX 12u      /* u16 length, u16 zero, u64 time */
#define V1_HEADER 12u

static void copy_bytes(uint8_t *to, const uint8_t *from, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) to[i] = from[i];
}

void icrec_init(struct icrec *rec, const struct icrec_config *config, uint8_t *const ring_memory[],
                const uint32_t ring_bytes[]) {
    uint8_t *raw = (uint8_t *)rec;
    for (uint32_t i = 0; i < sizeof *rec; i++) raw[i] = 0;
    rec->config = config;
    for (uint32_t c = 0; c < config->core_count && c < ICREC_MAX_CORES; c++) {
        rec->cores[c].ring.bytes = ring_memory[c];
        rec->cores[c].ring.size = ring_bytes[c];
    }
    icrec_port_barrier();
}

icrec_stream_t icrec_stream(struct icrec *rec, enum icrec_kind kind, uint8_t channel, uint8_t src, uint8_t dst,
                            int rx) {
    uint32_t core_number = icrec_port_core();
    if (core_number >= ICREC_MAX_CORES) return 0;
    struct icrec_core *core = &rec->cores[core_number];
    uint32_t key = (uint32_t)kind << 24 | (uint32_t)channel << 16 | (uint32_t)src << 8 | dst;
    uint8_t flags = rx ? 1u : 0u;
    uint32_t saved = icrec_port_irq_save();
    uint32_t count = core->stream_count;
    for (uint32_t i = 0; i < count; i++) {
        if (core->streams[i].key == key && core->streams[i].rx == flags) {
            icrec_port_irq_restore(saved);
            return &core->streams[i];
        }
    }
    struct icrec_stream *stream = 0;
    if (count < ICREC_MAX_STREAMS) {
        stream = &core->streams[count];
        stream->core = core;
        stream->key = key;
        stream->rx = flags;
        stream->header0 = 0x49u | 0x43u << 8 | 1u << 16 | (uint32_t)kind << 24;
        stream->header1 = (uint32_t)channel | (uint32_t)src << 8 | (uint32_t)dst << 16 | (uint32_t)flags << 24;
        stream->next_seq = 0;
        stream->dropped = 0;
        stream->loss_flag = 0;
        icrec_port_barrier();  /* the entry before the count that makes the drain read it */
        core->stream_count = count + 1;
    } else {
        core->unstreamed_drops++;
    }
    icrec_port_irq_restore(saved);
    return stream;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "icrec stores ring entries as little-endian words"
#endif

static uint32_t big_endian(uint32_t value) {
    return value >> 24 | (value >> 8 & 0xFF00u) | (value << 8 & 0xFF0000u) | value << 24;
}

/* Reserves one ring entry and writes its words, with interrupts masked so that an interrupt
 * handler of this core that records too finds the ring consistent (the other core never writes
 * this ring). The payload's first word, when it has one, comes in `first`; the rest is copied
 * by the caller before the entry is published. Returns the payload's place, or 0 when dropped. */
__attribute__((always_inline)) static inline uint8_t *reserve(struct icrec_core *core, struct icrec_stream *st, uint32_t length, uint32_t *saved,
                               uint32_t *next_head) {
    struct icrec_ring *ring = &core->ring;
    uint32_t need = (ENTRY_PREFIX + V1_HEADER + length + 3u) & ~3u;
    *saved = icrec_port_irq_save();
    uint32_t now = icrec_port_time32();
    if (now < core->time_last) core->time_high++;
    core->time_last = now;
    uint32_t seq = st->next_seq;
    st->next_seq = seq + 1;
    uint32_t head = ring->head;
    uint32_t pos = head & (ring->size - 1);
    uint32_t to_end = ring->size - pos;
    uint32_t total = to_end < need ? to_end + need : need;
    if (ring->size - (head - ring->tail) < total) {
        st->dropped++;
        st->loss_flag = ICREC_LOSS_FLAG;
        icrec_port_irq_restore(*saved);
        return 0;
    }
    if (to_end < need) {
        ring->bytes[pos] = 0xFF;
        ring->bytes[pos + 1] = 0xFF;
        head += to_end;
        pos = 0;
    }
    uint32_t *entry = (uint32_t *)(void *)(ring->bytes + pos);
    entry[0] = V1_HEADER + length;
    entry[1] = now;
    entry[2] = core->time_high;
    entry[3] = st->header0;
    entry[4] = st->header1 | st->loss_flag;
    entry[5] = big_endian(seq);
    st->loss_flag = 0;
    /* Where the head goes once the payload is in. */
    *next_head = head + need;
    return (uint8_t *)(entry + 6);
}

__attribute__((always_inline)) static inline void publish(struct icrec_core *core, uint32_t next_head, uint32_t saved) {
    icrec_port_barrier();  /* the entry before the head that publishes it */
    core->ring.head = next_head;
    icrec_port_irq_restore(saved);
}

int icrec_record_word(struct icrec *rec, icrec_stream_t stream, uint32_t word) {
    (void)rec;
    if (!stream) return -1;
    struct icrec_core *core = stream->core;
    uint32_t saved, next_head;
    uint8_t *payload = reserve(core, stream, 4, &saved, &next_head);
    if (!payload) return -1;
    *(uint32_t *)(void *)payload = word;
    publish(core, next_head, saved);
    return 0;
}

int icrec_record(struct icrec *rec, icrec_stream_t stream, const void *bytes, uint32_t length) {
    (void)rec;
    if (!stream) return -1;
    struct icrec_core *core = stream->core;
    struct icrec_stream *st = stream;
    uint8_t cut = length > ICREC_MAX_PAYLOAD;
    if (cut) length = ICREC_MAX_PAYLOAD;
    uint32_t saved, next_head;
    uint8_t *payload = reserve(core, st, length, &saved, &next_head);
    if (!payload) return -1;
    copy_bytes(payload, (const uint8_t *)bytes, length);
    /* A payload cut to the limit lost its end: the next record says so. */
    if (cut) st->loss_flag = ICREC_LOSS_FLAG;
    publish(core, next_head, saved);
    return 0;
}

int icrec_mailbox(struct icrec *rec, uint8_t fifo, uint8_t src, uint8_t dst, int rx, uint32_t word) {
    return icrec_record_word(rec, icrec_stream(rec, ICREC_MAILBOX, fifo, src, dst, rx), word);
}

int icrec_message(struct icrec *rec, uint8_t endpoint, uint8_t src, uint8_t dst, int rx, const void *body,
                  uint32_t length) {
    return icrec_record(rec, icrec_stream(rec, ICREC_MESSAGE, endpoint, src, dst, rx), body, length);
}

int icrec_uart(struct icrec *rec, uint8_t uart, uint8_t core, const void *bytes, uint32_t length) {
    return icrec_record(rec, icrec_stream(rec, ICREC_UART, uart, core, ICREC_OFF_CHIP, 0), bytes, length);
}
