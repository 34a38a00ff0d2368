/* The registers of QEMU's mps2-an521 (SSE-200, two Cortex-M33) that the recorder and the
 * example firmware use. Secure aliases: both cores start in the secure state. */
#ifndef AN521_H
#define AN521_H
#include <stdint.h>

#define AN521_REG(address) (*(volatile uint32_t *)(address))

/* CMSDK APB UARTs: data, state (bit 0: TX full), control (bit 0: TX enable), baud divider. */
#define AN521_UART0 0x50200000u
#define AN521_UART1 0x50201000u
#define AN521_UART_DATA(base) AN521_REG((base) + 0x00u)
#define AN521_UART_STATE(base) AN521_REG((base) + 0x04u)
#define AN521_UART_CTRL(base) AN521_REG((base) + 0x08u)
#define AN521_UART_BAUDDIV(base) AN521_REG((base) + 0x10u)

/* Which core reads it. */
#define AN521_CPU_ID AN521_REG(0x4001F000u)
/* Core 1 starts held: its vector table, then clear CPUWAIT bit 1. */
#define AN521_INITSVTOR1 AN521_REG(0x50021114u)
#define AN521_CPUWAIT AN521_REG(0x50021118u)
/* A free-running counter both cores read, 20 MHz. */
#define AN521_COUNTER AN521_REG(0x50302018u)
#define AN521_COUNTER_HZ 20000000u

#endif
