/* Bytes already read from an input that cannot be rewound (a pipe, a FIFO) are handed back in
 * front of the rest, so that a reader which takes a FILE (libpcap) sees the input whole. */
#define _GNU_SOURCE
#include "prefixed_stream.h"

#include <stdlib.h>
#include <string.h>

struct prefixed {
    unsigned char bytes[16];
    size_t count;
    size_t next;
    FILE *rest;
};

static size_t take(struct prefixed *source, char *buffer, size_t size) {
    size_t available = source->count - source->next;
    if (available > 0) {
        size_t count = available < size ? available : size;
        memcpy(buffer, source->bytes + source->next, count);
        source->next += count;
        return count;
    }
    return fread(buffer, 1, size, source->rest);
}

static int finish(struct prefixed *source) {
    int status = fclose(source->rest);
    free(source);
    return status;
}

#if defined(__APPLE__)
static int read_apple(void *cookie, char *buffer, int size) { return (int)take(cookie, buffer, (size_t)size); }
static int close_apple(void *cookie) { return finish(cookie); }
#else
static ssize_t read_gnu(void *cookie, char *buffer, size_t size) { return (ssize_t)take(cookie, buffer, size); }
static int close_gnu(void *cookie) { return finish(cookie); }
#endif

FILE *prefixed_stream(const unsigned char *prefix, size_t count, FILE *rest) {
    if (count > sizeof(((struct prefixed *)0)->bytes)) return NULL;
    struct prefixed *source = calloc(1, sizeof *source);
    if (source == NULL) return NULL;
    memcpy(source->bytes, prefix, count);
    source->count = count;
    source->rest = rest;
#if defined(__APPLE__)
    FILE *stream = funopen(source, read_apple, NULL, NULL, close_apple);
#else
    cookie_io_functions_t functions = {read_gnu, NULL, NULL, close_gnu};
    FILE *stream = fopencookie(source, "rb", functions);
#endif
    if (stream == NULL) free(source);
    return stream;
}
