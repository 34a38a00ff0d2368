/* Port for QEMU's mps2-an521: core number from the SSE-200, its shared 20 MHz counter, PRIMASK
 * for the interrupt mask, DMB between the cores, and the drain on UART1. */
#include "an521.h"
#include "icrec_port.h"

uint32_t icrec_port_core(void) { return AN521_CPU_ID & 0xFu; }

uint32_t icrec_port_time32(void) { return AN521_COUNTER; }

uint32_t icrec_port_irq_save(void) {
    uint32_t primask;
    __asm__ volatile("mrs %0, primask\n cpsid i" : "=r"(primask) : : "memory");
    return primask;
}

void icrec_port_irq_restore(uint32_t state) { __asm__ volatile("msr primask, %0" : : "r"(state) : "memory"); }

void icrec_port_barrier(void) { __asm__ volatile("dmb" : : : "memory"); }

void icrec_port_write(const uint8_t *bytes, uint32_t length) {
    for (uint32_t i = 0; i < length; i++) {
        while (AN521_UART_STATE(AN521_UART1) & 1u) { }
        AN521_UART_DATA(AN521_UART1) = bytes[i];
    }
}
