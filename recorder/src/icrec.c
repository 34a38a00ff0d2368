/* icrec: the recorder's rings, records, trace events and drain. See icrec.h. */
#include "icrec.h"
#include "icrec_port.h"

#define ENTRY_PREFIX 12u      /* u16 length, u16 zero, u64 time */
#define V1_HEADER 12u
#define SKIP_MARK 0xFFFFu     /* the rest of the ring up to its end is unused: go on at 0 */

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
    icrec_stream_t handle = {0, 0, 0};
    uint32_t core_number = icrec_port_core();
    if (core_number >= ICREC_MAX_CORES) return handle;
    struct icrec_core *core = &rec->cores[core_number];
    uint32_t key = (uint32_t)kind << 24 | (uint32_t)channel << 16 | (uint32_t)src << 8 | dst;
    uint8_t flags = rx ? 1u : 0u;
    handle.core = (uint8_t)core_number;
    uint32_t saved = icrec_port_irq_save();
    uint32_t count = core->stream_count;
    for (uint32_t i = 0; i < count; i++) {
        if (core->streams[i].key == key && core->streams[i].rx == flags) {
            icrec_port_irq_restore(saved);
            handle.slot = (uint8_t)i;
            handle.valid = 1;
            return handle;
        }
    }
    if (count < ICREC_MAX_STREAMS) {
        core->streams[count].key = key;
        core->streams[count].rx = flags;
        core->streams[count].next_seq = 0;
        core->streams[count].dropped = 0;
        core->streams[count].loss_pending = 0;
        icrec_port_barrier();  /* the entry before the count that makes the drain read it */
        core->stream_count = count + 1;
        handle.slot = (uint8_t)count;
        handle.valid = 1;
    } else {
        core->unstreamed_drops++;
    }
    icrec_port_irq_restore(saved);
    return handle;
}

/* Reserves and fills one ring entry with interrupts masked: an interrupt handler of this core
 * that records too finds the ring consistent. The other core never writes this ring. */
int icrec_record(struct icrec *rec, icrec_stream_t stream, const void *payload, uint32_t length) {
    if (!stream.valid) return -1;
    struct icrec_core *core = &rec->cores[stream.core];
    struct icrec_stream *st = &core->streams[stream.slot];
    struct icrec_ring *ring = &core->ring;
    uint8_t cut = 0;
    if (length > ICREC_MAX_PAYLOAD) {
        length = ICREC_MAX_PAYLOAD;
        cut = 1;
    }
    uint32_t need = (ENTRY_PREFIX + V1_HEADER + length + 3u) & ~3u;
    uint32_t saved = icrec_port_irq_save();
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
        st->loss_pending = 1;
        icrec_port_irq_restore(saved);
        return -1;
    }
    uint8_t *base = ring->bytes;
    if (to_end < need) {
        base[pos] = 0xFF;
        base[pos + 1] = 0xFF;
        head += to_end;
        pos = 0;
    }
    uint8_t *entry = base + pos;
    uint32_t size = V1_HEADER + length;
    entry[0] = (uint8_t)size;
    entry[1] = (uint8_t)(size >> 8);
    entry[2] = 0;
    entry[3] = 0;
    uint32_t high = core->time_high;
    for (uint32_t i = 0; i < 4; i++) {
        entry[4 + i] = (uint8_t)(now >> (8 * i));
        entry[8 + i] = (uint8_t)(high >> (8 * i));
    }
    uint8_t *header = entry + ENTRY_PREFIX;
    uint32_t key = st->key;
    header[0] = 0x49;
    header[1] = 0x43;
    header[2] = 1;
    header[3] = (uint8_t)(key >> 24);
    header[4] = (uint8_t)(key >> 16);
    header[5] = (uint8_t)(key >> 8);
    header[6] = (uint8_t)key;
    header[7] = (uint8_t)(st->rx | (st->loss_pending ? 2u : 0u));
    header[8] = (uint8_t)(seq >> 24);
    header[9] = (uint8_t)(seq >> 16);
    header[10] = (uint8_t)(seq >> 8);
    header[11] = (uint8_t)seq;
    st->loss_pending = cut;
    copy_bytes(header + V1_HEADER, (const uint8_t *)payload, length);
    icrec_port_barrier();  /* the entry before the head that publishes it */
    ring->head = head + need;
    icrec_port_irq_restore(saved);
    return 0;
}

int icrec_mailbox(struct icrec *rec, uint8_t fifo, uint8_t src, uint8_t dst, int rx, uint32_t word) {
    uint8_t bytes[4] = {(uint8_t)word, (uint8_t)(word >> 8), (uint8_t)(word >> 16), (uint8_t)(word >> 24)};
    return icrec_record(rec, icrec_stream(rec, ICREC_MAILBOX, fifo, src, dst, rx), bytes, 4);
}

int icrec_message(struct icrec *rec, uint8_t endpoint, uint8_t src, uint8_t dst, int rx, const void *body,
                  uint32_t length) {
    return icrec_record(rec, icrec_stream(rec, ICREC_MESSAGE, endpoint, src, dst, rx), body, length);
}

int icrec_uart(struct icrec *rec, uint8_t uart, uint8_t core, const void *bytes, uint32_t length) {
    return icrec_record(rec, icrec_stream(rec, ICREC_UART, uart, core, ICREC_OFF_CHIP, 0), bytes, length);
}
