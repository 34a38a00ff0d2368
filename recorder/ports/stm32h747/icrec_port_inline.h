/* STM32H747 (Arduino GIGA R1) by its registers: the core from SCB CPUID (Cortex-M7: 0, M4: 1),
 * TIM2's 32-bit counter as the clock both cores read (the firmware starts it free-running and
 * declares its frequency), PRIMASK, DMB. The M7 caches data and the M4 does not: the recorder's
 * state and rings must sit in SRAM the MPU marks non-cacheable (docs/recorder.md). Builds
 * here; not yet run on hardware. */
#ifndef ICREC_PORT_INLINE_H
#define ICREC_PORT_INLINE_H
#include <stdint.h>
#include "../cortex-m/icrec_cortex_m.h"

#define STM32H7_SCB_CPUID (*(volatile uint32_t *)0xE000ED00u)
#define STM32H7_TIM2_CNT (*(volatile uint32_t *)0x40000024u)

static inline uint32_t icrec_port_core(void) { return ((STM32H7_SCB_CPUID >> 4) & 0xFFFu) == 0xC27u ? 0u : 1u; }
static inline uint32_t icrec_port_time32(void) { return STM32H7_TIM2_CNT; }

#endif
