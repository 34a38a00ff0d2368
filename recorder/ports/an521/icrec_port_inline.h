/* QEMU mps2-an521: core number from the SSE-200, its shared 20 MHz counter, PRIMASK, DMB. */
#ifndef ICREC_PORT_INLINE_H
#define ICREC_PORT_INLINE_H
#include <stdint.h>
#include "an521.h"

static inline uint32_t icrec_port_core(void) { return AN521_CPU_ID & 0xFu; }
static inline uint32_t icrec_port_time32(void) { return AN521_COUNTER; }

static inline uint32_t icrec_port_irq_save(void) {
    uint32_t primask;
    __asm__ volatile("mrs %0, primask\n cpsid i" : "=r"(primask) : : "memory");
    return primask;
}

static inline void icrec_port_irq_restore(uint32_t state) { __asm__ volatile("msr primask, %0" : : "r"(state) : "memory"); }
static inline void icrec_port_barrier(void) { __asm__ volatile("dmb" : : : "memory"); }
#endif
