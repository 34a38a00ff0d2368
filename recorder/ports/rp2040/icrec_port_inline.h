/* RP2040 by its registers (no pico-sdk needed): SIO CPUID, the 1 MHz timer's raw low word,
 * PRIMASK (Cortex-M0+ has no LDREX/STREX: a short mask is what keeps a core's own interrupt
 * handlers out of a half-written entry), DMB. Builds here; not yet run on hardware. */
#ifndef ICREC_PORT_INLINE_H
#define ICREC_PORT_INLINE_H
#include <stdint.h>
#include "../cortex-m/icrec_cortex_m.h"

#define RP2040_SIO_CPUID (*(volatile uint32_t *)0xD0000000u)
#define RP2040_TIMERAWL (*(volatile uint32_t *)0x40054028u)

static inline uint32_t icrec_port_core(void) { return RP2040_SIO_CPUID; }
static inline uint32_t icrec_port_time32(void) { return RP2040_TIMERAWL; }

#endif
