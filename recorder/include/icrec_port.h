/* What a port gives the recorder (recorder/ports/<port>/). The calls made on every record are
 * inline, from the port's icrec_port_inline.h (found through its include directory): a record
 * costs a few dozen instructions, and a call to another file would be a good part of them. */
#ifndef ICREC_PORT_H
#define ICREC_PORT_H

#include <stdint.h>

/* Provides, as static inline functions:
 *   uint32_t icrec_port_core(void);        the calling core's number (0, 1, ...)
 *   uint32_t icrec_port_time32(void);      the counter both cores read (wraps at 2^32)
 *   uint32_t icrec_port_irq_save(void);    masks the calling core's interrupts
 *   void icrec_port_irq_restore(uint32_t); unmasks them as they were
 *   void icrec_port_barrier(void);         makes this core's writes visible to the other (DMB) */
#include "icrec_port_inline.h"

/* Writes drained bytes to the port's sink (a UART, USB CDC, semihosting, a RAM buffer). */
void icrec_port_write(const uint8_t *bytes, uint32_t length);

#endif
