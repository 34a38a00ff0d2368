/* RP2040: the drain writes to UART1 (0x40038000), already set up by the firmware. */
#include "icrec_port.h"

#define UART1_DR (*(volatile uint32_t *)0x40038000u)
#define UART1_FR (*(volatile uint32_t *)0x40038018u)
#define UART_FR_TXFF (1u << 5)

void icrec_port_write(const uint8_t *bytes, uint32_t length) {
    for (uint32_t i = 0; i < length; i++) {
        while (UART1_FR & UART_FR_TXFF) { }
        UART1_DR = bytes[i];
    }
}
