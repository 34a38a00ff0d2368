/* The drain: ring entries out as COBS frames with a CRC-32, so that a host reading a cut or
 * corrupted byte stream resynchronises at the next 0x00 and counts the frames it lost. */
#include "icrec.h"
#include "icrec_port.h"

/* CRC-32 (IEEE, reflected), four bits at a time: a 64-byte table instead of 1 KB. */
static const uint32_t crc_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
    0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu, 0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

static uint32_t crc_update(uint32_t crc, uint8_t byte) {
    crc ^= byte;
    crc = (crc >> 4) ^ crc_nibble[crc & 15u];
    return (crc >> 4) ^ crc_nibble[crc & 15u];
}

/* COBS, one block of up to 254 bytes at a time, written to the port's sink. */
struct framer {
    uint8_t block[255];
    uint32_t count;   /* bytes in block after its code byte */
    uint32_t crc;
};

static void close_block(struct framer *f) {
    f->block[0] = (uint8_t)(f->count + 1);
    icrec_port_write(f->block, f->count + 1);
    f->count = 0;
}

static void encode_byte(struct framer *f, uint8_t byte) {
    if (byte == 0) {
        close_block(f);
        return;
    }
    f->block[1 + f->count++] = byte;
    if (f->count == 254) {
        /* A full block implies no zero: its code is 0xFF and the next block starts afresh. */
        f->block[0] = 0xFF;
        icrec_port_write(f->block, 255);
        f->count = 0;
    }
}

static void frame_begin(struct framer *f) {
    f->count = 0;
    f->crc = 0xFFFFFFFFu;
}

static void frame_byte(struct framer *f, uint8_t byte) {
    f->crc = crc_update(f->crc, byte);
    encode_byte(f, byte);
}

static void frame_end(struct framer *f) {
    uint32_t crc = ~f->crc;
    for (uint32_t i = 0; i < 4; i++) encode_byte(f, (uint8_t)(crc >> (8 * i)));
    close_block(f);
    static const uint8_t delimiter = 0;
    icrec_port_write(&delimiter, 1);
}

static void frame_u32(struct framer *f, uint32_t value) {
    for (uint32_t i = 0; i < 4; i++) frame_byte(f, (uint8_t)(value >> (8 * i)));
}

static void send_header(const struct icrec *rec) {
    const struct icrec_config *config = rec->config;
    struct framer f;
    frame_begin(&f);
    frame_byte(&f, ICREC_FRAME_HEADER);
    frame_byte(&f, 1); /* version of the drained stream */
    frame_byte(&f, config->core_count);
    frame_u32(&f, (uint32_t)config->clock_hz);
    frame_u32(&f, (uint32_t)(config->clock_hz >> 32));
    for (uint32_t c = 0; c < config->core_count && c < ICREC_MAX_CORES; c++) {
        const char *name = config->core_names[c] ? config->core_names[c] : "";
        uint32_t n = 0;
        while (n < 32 && name[n] != 0) n++;
        frame_byte(&f, (uint8_t)n);
        for (uint32_t i = 0; i < n; i++) frame_byte(&f, (uint8_t)name[i]);
    }
    frame_end(&f);
}

/* Tells the host how far a stream's numbers went and how many records it dropped, so that a
 * stream that drops records and then falls silent still shows its loss. */
static void send_drops(uint32_t core, const struct icrec_stream *st, uint32_t next_seq, uint32_t dropped) {
    struct framer f;
    frame_begin(&f);
    frame_byte(&f, ICREC_FRAME_DROPS);
    frame_byte(&f, (uint8_t)core);
    frame_u32(&f, st ? st->key : 0xFFFFFFFFu);
    frame_byte(&f, st ? st->rx : 0xFF);
    frame_u32(&f, next_seq);
    frame_u32(&f, dropped);
    frame_end(&f);
}

uint32_t icrec_drain(struct icrec *rec) {
    if (!rec->header_sent) {
        send_header(rec);
        rec->header_sent = 1;
    }
    uint32_t drained = 0;
    for (uint32_t c = 0; c < rec->config->core_count && c < ICREC_MAX_CORES; c++) {
        struct icrec_core *core = &rec->cores[c];
        struct icrec_ring *ring = &core->ring;
        uint32_t head = ring->head;
        icrec_port_barrier();  /* the entries after the head that published them */
        uint32_t tail = ring->tail;
        uint32_t mask = ring->size - 1;
        while (tail != head) {
            uint32_t pos = tail & mask;
            const uint8_t *entry = ring->bytes + pos;
            uint32_t size = (uint32_t)entry[0] | (uint32_t)entry[1] << 8;
            if (size == 0xFFFFu) {
                tail += ring->size - pos;
                continue;
            }
            struct framer f;
            frame_begin(&f);
            frame_byte(&f, ICREC_FRAME_RECORD);
            frame_byte(&f, (uint8_t)c);
            for (uint32_t i = 4; i < 12; i++) frame_byte(&f, entry[i]);
            for (uint32_t i = 0; i < size; i++) frame_byte(&f, entry[12 + i]);
            frame_end(&f);
            tail += (12u + size + 3u) & ~3u;
            drained++;
        }
        icrec_port_barrier();  /* done reading before the space is given back */
        ring->tail = tail;
        uint32_t count = core->stream_count;
        icrec_port_barrier();
        for (uint32_t s = 0; s < count; s++) {
            const struct icrec_stream *st = &core->streams[s];
            uint32_t dropped = st->dropped;
            uint32_t next_seq = st->next_seq;
            if (dropped != rec->reported_drops[c][s] || next_seq != rec->reported_seq[c][s]) {
                send_drops(c, st, next_seq, dropped);
                rec->reported_drops[c][s] = dropped;
                rec->reported_seq[c][s] = next_seq;
            }
        }
        uint32_t unstreamed = core->unstreamed_drops;
        if (unstreamed != rec->reported_unstreamed[c]) {
            send_drops(c, 0, 0, unstreamed);
            rec->reported_unstreamed[c] = unstreamed;
        }
    }
    return drained;
}
