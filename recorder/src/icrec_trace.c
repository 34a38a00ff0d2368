/* Trace events of capture format v1: the MessagePack array [event, args] written by hand. Only
 * the shapes the format uses: a short string, an array of up to two arguments, each an unsigned
 * integer (smallest width) or a string, cut to MAX_TEXT (64) bytes. */
#include "icrec.h"
#include "icrec_port.h"

#define MAX_TEXT 64u

struct event_bytes {
    uint8_t bytes[2 + 32 + 1 + 2 * (2 + MAX_TEXT)];
    uint32_t length;
};

static void put(struct event_bytes *e, uint8_t byte) { e->bytes[e->length++] = byte; }

static void put_string(struct event_bytes *e, const char *text) {
    uint32_t n = 0;
    while (n < MAX_TEXT && text[n] != 0) n++;
    if (n < 32) {
        put(e, (uint8_t)(0xA0 | n));
    } else {
        put(e, 0xD9);
        put(e, (uint8_t)n);
    }
    for (uint32_t i = 0; i < n; i++) put(e, (uint8_t)text[i]);
}

static void put_unsigned(struct event_bytes *e, uint32_t value) {
    if (value < 0x80) {
        put(e, (uint8_t)value);
    } else if (value <= 0xFF) {
        put(e, 0xCC);
        put(e, (uint8_t)value);
    } else if (value <= 0xFFFF) {
        put(e, 0xCD);
        put(e, (uint8_t)(value >> 8));
        put(e, (uint8_t)value);
    } else {
        put(e, 0xCE);
        for (int shift = 24; shift >= 0; shift -= 8) put(e, (uint8_t)(value >> shift));
    }
}

static void begin(struct event_bytes *e, const char *event, uint32_t argument_count) {
    e->length = 0;
    put(e, 0x92);
    put_string(e, event);
    put(e, (uint8_t)(0x90 | argument_count));
}

static int emit(struct icrec *rec, const struct event_bytes *e) {
    uint32_t core = icrec_port_core();
    return icrec_record(rec, icrec_stream(rec, ICREC_TRACE, 0, (uint8_t)core, ICREC_UNKNOWN, 0), e->bytes, e->length);
}

static int event_none(struct icrec *rec, const char *event) {
    struct event_bytes e;
    begin(&e, event, 0);
    return emit(rec, &e);
}

static int event_number(struct icrec *rec, const char *event, uint32_t value) {
    struct event_bytes e;
    begin(&e, event, 1);
    put_unsigned(&e, value);
    return emit(rec, &e);
}

static int event_text(struct icrec *rec, const char *event, const char *text) {
    struct event_bytes e;
    begin(&e, event, 1);
    put_string(&e, text);
    return emit(rec, &e);
}

int icrec_core_start(struct icrec *rec, uint8_t started_core) { return event_number(rec, "core.start", started_core); }
int icrec_init_done(struct icrec *rec) { return event_none(rec, "init.done"); }
int icrec_lock_acquire(struct icrec *rec, uint32_t lock) { return event_number(rec, "lock.acquire", lock); }
int icrec_lock_release(struct icrec *rec, uint32_t lock) { return event_number(rec, "lock.release", lock); }
int icrec_dev_begin(struct icrec *rec, const char *device) { return event_text(rec, "dev.begin", device); }
int icrec_dev_end(struct icrec *rec, const char *device) { return event_text(rec, "dev.end", device); }
int icrec_heap_alloc(struct icrec *rec, uint32_t bytes) { return event_number(rec, "heap.alloc", bytes); }
int icrec_heap_lock(struct icrec *rec) { return event_none(rec, "heap.lock"); }
int icrec_irq_enter(struct icrec *rec, uint32_t irq) { return event_number(rec, "irq.enter", irq); }
int icrec_irq_exit(struct icrec *rec, uint32_t irq) { return event_number(rec, "irq.exit", irq); }
int icrec_fn_enter(struct icrec *rec, const char *name) { return event_text(rec, "fn.enter", name); }
int icrec_fn_exit(struct icrec *rec, const char *name) { return event_text(rec, "fn.exit", name); }
int icrec_mem_read(struct icrec *rec, const char *region) { return event_text(rec, "mem.read", region); }
int icrec_mem_write(struct icrec *rec, const char *region) { return event_text(rec, "mem.write", region); }

int icrec_fault(struct icrec *rec, uint32_t code, const char *text) {
    struct event_bytes e;
    begin(&e, "fault", 2);
    put_unsigned(&e, code);
    put_string(&e, text);
    return emit(rec, &e);
}
