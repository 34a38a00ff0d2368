/* What every Cortex-M port shares: PRIMASK as the interrupt mask (on the M0+, which has no
 * LDREX/STREX, it is what keeps a core's own handlers out of a half-written entry) and DMB. */
#ifndef ICREC_CORTEX_M_H
#define ICREC_CORTEX_M_H
#include <stdint.h>

static inline uint32_t icrec_port_irq_save(void) {
    uint32_t primask;
    __asm__ volatile("mrs %0, primask\n cpsid i" : "=r"(primask) : : "memory");
    return primask;
}

static inline void icrec_port_irq_restore(uint32_t state) { __asm__ volatile("msr primask, %0" : : "r"(state) : "memory"); }
static inline void icrec_port_barrier(void) { __asm__ volatile("dmb" : : : "memory"); }
#endif
