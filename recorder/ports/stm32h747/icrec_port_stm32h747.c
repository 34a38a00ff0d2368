/* STM32H747: the drain writes to USART1 (0x40011000), already set up by the firmware. */
#include "icrec_port.h"

#define USART1_ISR (*(volatile uint32_t *)0x4001101Cu)
#define USART1_TDR (*(volatile uint32_t *)0x40011028u)
#define USART_ISR_TXFNF (1u << 7)

void icrec_port_write(const uint8_t *bytes, uint32_t length) {
    for (uint32_t i = 0; i < length; i++) {
        while (!(USART1_ISR & USART_ISR_TXFNF)) { }
        USART1_TDR = bytes[i];
    }
}
