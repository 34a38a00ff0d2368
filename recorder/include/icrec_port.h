/* What a port gives the recorder: a handful of functions (recorder/ports/). */
#ifndef ICREC_PORT_H
#define ICREC_PORT_H

#include <stdint.h>

/* The calling core's number (0, 1, ...). */
uint32_t icrec_port_core(void);
/* The shared counter both cores read, as the hardware gives it (wraps at 2^32). */
uint32_t icrec_port_time32(void);
/* Masks the calling core's interrupts; returns what to restore. */
uint32_t icrec_port_irq_save(void);
void icrec_port_irq_restore(uint32_t state);
/* Makes the calling core's writes visible to the other core (a DMB on Cortex-M). */
void icrec_port_barrier(void);
/* Writes drained bytes to the port's sink (a UART, USB CDC, semihosting, a RAM buffer). */
void icrec_port_write(const uint8_t *bytes, uint32_t length);

#endif
