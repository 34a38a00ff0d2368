#ifndef PREFIXED_STREAM_H
#define PREFIXED_STREAM_H

#include <stddef.h>
#include <stdio.h>

/* A read-only stream that yields the `count` bytes at `prefix` (copied), then the rest of `rest`.
 * Closing it closes `rest`. Returns NULL when the stream cannot be made (then `rest` is untouched). */
FILE *prefixed_stream(const unsigned char *prefix, size_t count, FILE *rest);

#endif
