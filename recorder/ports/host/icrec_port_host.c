/* Host port: threads stand for cores (each sets its number), a 1 MHz clock from CLOCK_MONOTONIC,
 * no interrupts to mask, and drained bytes written to a file descriptor. For tests. */
#define _POSIX_C_SOURCE 200809L
#include "icrec_port_host.h"

#include <time.h>
#include <unistd.h>

static _Thread_local uint32_t current_core;
static int sink_fd = 1;

void icrec_host_set_core(uint32_t core) { current_core = core; }
void icrec_host_set_sink(int fd) { sink_fd = fd; }

uint32_t icrec_host_core(void) { return current_core; }

uint32_t icrec_host_time32(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint32_t)((uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u);
}

void icrec_port_write(const uint8_t *bytes, uint32_t length) {
    while (length > 0) {
        ssize_t n = write(sink_fd, bytes, length);
        if (n <= 0) return;
        bytes += n;
        length -= (uint32_t)n;
    }
}
