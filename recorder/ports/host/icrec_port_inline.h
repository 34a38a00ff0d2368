/* Host port: threads stand for cores; a 1 MHz clock; no interrupts to mask. */
#ifndef ICREC_PORT_INLINE_H
#define ICREC_PORT_INLINE_H
#include <stdint.h>

uint32_t icrec_host_core(void);
uint32_t icrec_host_time32(void);

static inline uint32_t icrec_port_core(void) { return icrec_host_core(); }
static inline uint32_t icrec_port_time32(void) { return icrec_host_time32(); }
static inline uint32_t icrec_port_irq_save(void) { return 0; }
static inline void icrec_port_irq_restore(uint32_t state) { (void)state; }
static inline void icrec_port_barrier(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
#endif
