/* Start-up for both cores: a vector table each (core 1's is the one core 0 hands to
 * INITSVTOR1), the reset handlers, and a fault handler that says so and ends the run. */
#include <stdint.h>

#include "an521.h"
#include "firmware.h"

extern uint32_t __bss_start, __bss_end, __stack_core0, __stack_core1;

void reset_core0(void);
void reset_core1(void);
static void fault(void);

typedef void (*vector)(void);

__attribute__((section(".vectors0"), used)) static const vector vectors_core0[16] = {
    (vector)&__stack_core0, reset_core0, fault, fault, fault, fault, fault,
};

__attribute__((section(".vectors1"), used)) const vector vectors_core1[16] = {
    (vector)&__stack_core1, reset_core1, fault, fault, fault, fault, fault,
};

void reset_core0(void) {
    for (uint32_t *word = &__bss_start; word < &__bss_end; word++) *word = 0;
    main_core0();
    semihosting_exit(0);
}

void reset_core1(void) {
    main_core1();
    for (;;) __asm__ volatile("wfe");
}

/* UART0, the console: written as fast as QEMU takes it. */
void console_write(const char *text) {
    for (uint32_t i = 0; text[i]; i++) {
        while (AN521_UART_STATE(AN521_UART0) & 1u) { }
        AN521_UART_DATA(AN521_UART0) = (uint8_t)text[i];
    }
}

static void fault(void) {
    console_write("fault\n");
    semihosting_exit(3);
}

/* SYS_EXIT_EXTENDED: QEMU ends with this exit code. */
void semihosting_exit(uint32_t code) {
    static volatile uint32_t block[2];
    block[0] = 0x20026u; /* ADP_Stopped_ApplicationExit */
    block[1] = code;
    register uint32_t operation __asm__("r0") = 0x20u;
    register volatile uint32_t *argument __asm__("r1") = block;
    __asm__ volatile("bkpt 0xab" : : "r"(operation), "r"(argument) : "memory");
    for (;;) { }
}
