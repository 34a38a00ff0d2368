#ifndef ICREC_PORT_HOST_H
#define ICREC_PORT_HOST_H
#include <stdint.h>
#include "icrec_port.h"
void icrec_host_set_core(uint32_t core);
void icrec_host_set_sink(int fd);
#endif
