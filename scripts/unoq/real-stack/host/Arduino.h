// Host stand-in for the Arduino core's Arduino.h, written for rpc-analyze's real-stack
// captures (scripts/unoq/real-stack). Just enough of the Arduino API for
// Arduino_RouterBridge's bridge.h and Arduino_RPClite: millis/delay, Stream and a
// HardwareSerial whose Serial1 is a pty paced at the UART's wire rate.
// Not Arduino code: a minimal re-implementation of the interfaces those headers use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

unsigned long millis();
unsigned long micros();
void delay(unsigned long ms);

// The part of Arduino's Stream that SerialTransport uses.
class Stream {
public:
    virtual ~Stream() = default;
    virtual int available() = 0;
    virtual int read() = 0;
    virtual size_t write(uint8_t b) { return write(&b, 1); }
    virtual size_t write(const uint8_t* data, size_t size) = 0;
    size_t write(const char* s) { return write(reinterpret_cast<const uint8_t*>(s), std::strlen(s)); }
    void setTimeout(unsigned long ms) { _timeout = ms; }
    // Arduino's readBytes waits up to the timeout for each byte; RPClite sets 0,
    // so this returns what is already there (up to size).
    virtual size_t readBytes(uint8_t* buffer, size_t size);
protected:
    unsigned long _timeout = 1000;
};

// A UART on a pty: the path comes from $UNOQ_SERIAL (the forwarder's MCU-side pty).
// write() is paced at 10 bits per byte (8N1) at the baud rate given to begin(), so a
// byte leaves no faster than a real UART would send it (86.8 us at 115200).
class HardwareSerial : public Stream {
public:
    void begin(unsigned long baud);
    void end();
    int available() override;
    int read() override;
    size_t readBytes(uint8_t* buffer, size_t size) override;
    using Stream::write;
    size_t write(const uint8_t* data, size_t size) override;
private:
    int _fd = -1;
    unsigned long _baud = 115200;
    uint64_t _next_slot_ns = 0;
};

extern HardwareSerial Serial1;
