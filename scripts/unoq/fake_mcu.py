#!/usr/bin/env python3
"""A stand-in for the UNO Q's MCU, for tests: not Arduino code, our own, speaking over a pty the
wire behaviour of Arduino_RouterBridge on Arduino_RPClite as the real captures show it
(../shared/captures/unoq): raw MessagePack-RPC values back to back, no framing.

At start it writes the banner "MCU starting RPC Bridge communication" as 37 raw bytes (not a
MessagePack string), calls `$/reset` (msgid 0) and `$/register [name]` for each of its methods
(msgids 1, 2, ...), each waiting for its answer as Bridge.begin() does, then answers requests
with [1, msgid, error, result], errors as RPClite's [0xFD, "Wrong type parameter in position: 0"].
It sends `mcu_heartbeat [n]` notifications every --heartbeat seconds.

--wedge: like RPClite, a notification it has no handler for (`$/cancelRequest`) is never
consumed: it stops answering from then on, while its heartbeats go on (the cancel wedge). A
request longer than 256 bytes (RPClite's request buffer) wedges it the same way in either mode.

Usage: fake_mcu.py --link PATH [--heartbeat S] [--wedge]
The slave of a new pty is linked at PATH (what the tap opens as its DEVICE). Prints "ready PATH"
once registered, "wedged" when it wedges, "request METHOD" and "notification METHOD" for each
request and notification taken.
"""
import argparse, os, select, signal, sys, threading, time, tty
import msgpack

BANNER = b"MCU starting RPC Bridge communication"
MAX_REQUEST = 256
WRONG_TYPE = [0xFD, "Wrong type parameter in position: 0"]
NOT_FOUND = [0xFE, "Method not found"]


class MCU:
    def __init__(self, args):
        self.args = args
        self.master, self.slave = os.openpty()
        # Raw, or the pty would echo our own bytes back to us before the tap sets its mode.
        tty.setraw(self.slave)
        self.link = args.link
        if os.path.lexists(self.link):
            os.remove(self.link)
        os.symlink(os.ttyname(self.slave), self.link)
        self.write_lock = threading.Lock()
        self.unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
        self.wedged = False
        self.answers = {}
        self.beats = 0

    def send(self, value):
        data = msgpack.packb(value)
        with self.write_lock:
            os.write(self.master, data)

    def say(self, text):
        print(text, flush=True)

    def messages(self, timeout):
        """The messages that came within `timeout`, with the bytes each took."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return []
        try:
            self.unpacker.feed(os.read(self.master, 4096))
        except OSError:
            return []
        out = []
        while True:
            start = self.unpacker.tell()
            try:
                value = next(self.unpacker)
            except StopIteration:
                return out
            out.append((value, self.unpacker.tell() - start))

    def call(self, msgid, method, params):
        """A call of our own, waiting for its answer (Bridge.begin's calls block)."""
        self.send([0, msgid, method, params])
        while True:
            for value, _ in self.messages(0.1):
                if isinstance(value, list) and len(value) == 4 and value[0] == 1 and value[1] == msgid:
                    return value[3]
            self.heartbeat()

    def heartbeat(self):
        if self.args.heartbeat and time.monotonic() >= self.next_beat:
            self.send([2, "mcu_heartbeat", [self.beats]])
            self.beats += 1
            self.next_beat = time.monotonic() + self.args.heartbeat

    def handle(self, method, params):
        if method == "add":
            if not all(isinstance(p, int) for p in params) or len(params) != 2:
                return WRONG_TYPE, None
            return None, params[0] + params[1]
        if method == "echo":
            return None, params[0] if params else None
        if method == "set_led":
            return None, True
        if method == "slow":
            time.sleep(params[0] / 1000)
            return None, params[0]
        return NOT_FOUND, None

    def serve(self, msgid, method, params):
        error, result = self.handle(method, params)
        self.send([1, msgid, error, result])

    def run(self):
        self.next_beat = time.monotonic() + (self.args.heartbeat or 0)
        os.write(self.master, BANNER)
        self.call(0, "$/reset", [])
        for number, name in enumerate(["add", "echo", "slow", "set_led"], start=1):
            self.call(number, "$/register", [name])
        self.say(f"ready {self.link}")
        while True:
            for value, size in self.messages(0.05):
                if self.wedged:
                    continue
                if not isinstance(value, list) or not value:
                    continue
                if value[0] == 0 and len(value) == 4:
                    if size > MAX_REQUEST:
                        self.wedge(f"a request of {size} bytes")
                        continue
                    self.say(f"request {value[2]}")
                    # As RPClite's dispatch runs beside the sketch's loop: heartbeats go on meanwhile.
                    threading.Thread(target=self.serve, args=(value[1], value[2], value[3]), daemon=True).start()
                elif value[0] == 2 and len(value) == 3:
                    self.say(f"notification {value[1]}")
                    if value[1] != "set_led" and self.args.wedge:
                        self.wedge(f"the notification {value[1]}")
            self.heartbeat()

    def wedge(self, why):
        self.wedged = True
        self.say(f"wedged by {why}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--link", required=True)
    parser.add_argument("--heartbeat", type=float, default=0.5)
    parser.add_argument("--wedge", action="store_true")
    args = parser.parse_args()
    mcu = MCU(args)

    def stop(*_):
        if os.path.islink(mcu.link) and os.readlink(mcu.link) == os.ttyname(mcu.slave):
            os.remove(mcu.link)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    mcu.run()


if __name__ == "__main__":
    main()
