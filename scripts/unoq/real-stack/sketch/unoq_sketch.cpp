// An ordinary UNO Q MCU sketch (what would be the .ino), written for rpc-analyze's
// real-stack captures. It uses only the public Arduino_RouterBridge API: Bridge.begin,
// Bridge.provide, Bridge.notify. It includes bridge.h (the Bridge itself) rather than the
// umbrella Arduino_RouterBridge.h, whose TCP/UDP/HCI/monitor parts need the whole
// ArduinoCore-API; on the wire that changes nothing.
//
// Run-time switches (environment), so one binary serves every capture:
//   UNOQ_SERIAL=/dev/pts/N      the pty Serial1 uses (required)
//   UNOQ_HEARTBEAT_MS=500       send notify("mcu_heartbeat", n) every N ms (0 = never)
//   UNOQ_PROVIDE_CANCEL=1       also provide "$/cancelRequest" (the no-wedge variant)
//   UNOQ_PROVIDE_EXTRA=name     also provide a method "name" returning "mcu:name"
#include "Arduino.h"
#include <bridge.h>

#include <cstdio>
#include <cstdlib>
#include <string>

static int add(int a, int b) { return a + b; }
static MsgPack::str_t echo(MsgPack::str_t s) { return s; }
// Sleeps ms milliseconds in the handler (the Bridge's update thread), returns ms.
static int slow(int ms) { delay(ms); return ms; }
// A reply of n bytes of 'r': long enough to be cut mid-way by a reset.
static MsgPack::str_t long_reply(int n) { return MsgPack::str_t(size_t(n > 0 ? n : 0), 'r'); }
// Handler for the router's $/cancelRequest notification: consumes it (nothing to cancel,
// RPClite runs one call at a time), so the notification does not stay in the decoder.
static void on_cancel(int msgid) { std::printf("mcu: $/cancelRequest for %d\n", msgid); }
static MsgPack::str_t extra_name;
static MsgPack::str_t extra() { return "mcu:" + extra_name; }

static unsigned long heartbeat_ms = 0, last_beat = 0;
static int beats = 0;

void setup() {
    const char* hb = std::getenv("UNOQ_HEARTBEAT_MS");
    heartbeat_ms = hb ? std::strtoul(hb, nullptr, 10) : 0;
    bool ok = Bridge.begin(115200);
    std::printf("mcu: Bridge.begin -> %d\n", ok);
    std::printf("mcu: provide add -> %d\n", Bridge.provide("add", add));
    std::printf("mcu: provide echo -> %d\n", Bridge.provide("echo", echo));
    std::printf("mcu: provide slow -> %d\n", Bridge.provide("slow", slow));
    std::printf("mcu: provide long_reply -> %d\n", Bridge.provide("long_reply", long_reply));
    const char* pc = std::getenv("UNOQ_PROVIDE_CANCEL");
    if (pc && *pc == '1')
        std::printf("mcu: provide $/cancelRequest -> %d\n", Bridge.provide("$/cancelRequest", on_cancel));
    const char* ex = std::getenv("UNOQ_PROVIDE_EXTRA");
    if (ex && *ex) {
        extra_name = ex;
        std::printf("mcu: provide %s -> %d\n", ex, Bridge.provide(extra_name, extra));
    }
    std::printf("mcu: ready\n");
    last_beat = millis();
}

void loop() {
    if (heartbeat_ms && millis() - last_beat >= heartbeat_ms) {
        last_beat += heartbeat_ms;
        Bridge.notify("mcu_heartbeat", beats++);
    }
    delay(1);
}
