// Host runtime for the UNO Q MCU sketch: Serial1 on a pty, millis/delay, and a main()
// that runs setup() then loop() + __loopHook() as the Zephyr Arduino core does.
// Written for rpc-analyze's real-stack captures.
#include "Arduino.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>

static uint64_t now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}
static const uint64_t t0 = now_ns();

unsigned long millis() { return (unsigned long)((now_ns() - t0) / 1000000ull); }
unsigned long micros() { return (unsigned long)((now_ns() - t0) / 1000ull); }
void delay(unsigned long ms) { usleep(ms * 1000); }

size_t Stream::readBytes(uint8_t* buffer, size_t size) {
    size_t n = 0;
    while (n < size) {
        int c = read();
        if (c < 0) break;
        buffer[n++] = uint8_t(c);
    }
    return n;
}

HardwareSerial Serial1;

void HardwareSerial::begin(unsigned long baud) {
    _baud = baud;
    const char* path = std::getenv("UNOQ_SERIAL");
    if (!path) { std::fprintf(stderr, "UNOQ_SERIAL is not set\n"); std::exit(2); }
    _fd = ::open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (_fd < 0) { std::perror(path); std::exit(2); }
    termios tio;
    if (tcgetattr(_fd, &tio) == 0) { cfmakeraw(&tio); tcsetattr(_fd, TCSANOW, &tio); }
}

void HardwareSerial::end() { if (_fd >= 0) ::close(_fd); _fd = -1; }

int HardwareSerial::available() {
    int n = 0;
    if (_fd < 0 || ioctl(_fd, FIONREAD, &n) != 0) return 0;
    return n;
}

int HardwareSerial::read() {
    uint8_t b;
    if (_fd < 0) return -1;
    return ::read(_fd, &b, 1) == 1 ? b : -1;
}

size_t HardwareSerial::readBytes(uint8_t* buffer, size_t size) {
    if (_fd < 0) return 0;
    ssize_t n = ::read(_fd, buffer, size);
    return n > 0 ? size_t(n) : 0;
}

// One byte per 10 bit times: a byte is handed to the pty no earlier than the UART
// would have finished shifting out the previous one.
size_t HardwareSerial::write(const uint8_t* data, size_t size) {
    const uint64_t byte_ns = 10ull * 1000000000ull / _baud;
    for (size_t i = 0; i < size; i++) {
        uint64_t now = now_ns();
        if (_next_slot_ns > now) {
            timespec ts{ time_t(_next_slot_ns / 1000000000ull), long(_next_slot_ns % 1000000000ull) };
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
            now = _next_slot_ns;
        }
        while (::write(_fd, data + i, 1) != 1) usleep(100);
        _next_slot_ns = now + byte_ns;
    }
    return size;
}

void setup();
void loop();
void __loopHook(void);

int main() {
    setvbuf(stdout, nullptr, _IOLBF, 0);
    setup();
    for (;;) { loop(); __loopHook(); }
}
