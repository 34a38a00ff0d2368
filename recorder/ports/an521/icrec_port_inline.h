/* QEMU mps2-an521: core number from the SSE-200, its shared 20 MHz counter, PRIMASK, DMB. */
#ifndef ICREC_PORT_INLINE_H
#define ICREC_PORT_INLINE_H
#include <stdint.h>
#include "../cortex-m/icrec_cortex_m.h"
#include "an521.h"

static inline uint32_t icrec_port_core(void) { return AN521_CPU_ID & 0xFu; }
static inline uint32_t icrec_port_time32(void) { return AN521_COUNTER; }

#endif
