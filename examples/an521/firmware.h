#ifndef FIRMWARE_H
#define FIRMWARE_H
#include <stdint.h>

void main_core0(void);
void main_core1(void);
void console_write(const char *text);
void semihosting_exit(uint32_t code);

#endif
