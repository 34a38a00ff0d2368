/* QEMU mps2-an521: the drain writes to UART1. */
#include "an521.h"
#include "icrec_port.h"

void icrec_port_write(const uint8_t *bytes, uint32_t length) {
    for (uint32_t i = 0; i < length; i++) {
        while (AN521_UART_STATE(AN521_UART1) & 1u) { }
        AN521_UART_DATA(AN521_UART1) = bytes[i];
    }
}
