#!/usr/bin/env python3
"""A serial peer speaking the UNO Q MCU's wire behaviour (Arduino_RouterBridge on
Arduino_RPClite), for tests: not the real firmware, a stand-in written from the recorded
captures and RPClite's sources.

It makes a pty, links its slave at PATH (open PATH as the MCU's UART), and then, as a sketch
calling Bridge.begin() does: writes the 37-byte banner "MCU starting RPC Bridge communication"
(raw ASCII, no framing), calls $/reset, then $/register for each of its methods, then
$/version, each call waiting for its answer as RPClite's blocking call does. It answers add,
echo, scale, sum, slow, set_led, blob, start_ticks and greet as the recorded sketch does,
with RPClite's errors ([0xFD, "Too many parameters"], [0xFE, name], ...); start_ticks(n) sends
n mcu_tick notifications 20 ms apart and then calls py_mul [3, 7] on the router.

  rpclite_peer.py PATH [--delay S] [--silent] [--change add] [--die-after N] [--wedge]
                  [--heartbeat S]

--silent never starts (no banner, no $/reset); --change add answers add with a+b+1;
--die-after N exits abruptly after answering N calls; --wedge is RPClite's cancel wedge: a
$/cancelRequest is never consumed, so nothing after it is answered (ticks still go out).
Prints "ready PATH" once PATH is there.
"""
import argparse
import os
import select
import sys
import time
import tty

import msgpack

BANNER = b"MCU starting RPC Bridge communication"
METHODS = ["add", "echo", "scale", "sum", "slow", "set_led", "blob", "start_ticks", "greet"]
PARSING_ERR, MALFORMED_CALL_ERR, FUNCTION_NOT_FOUND_ERR, GENERIC_ERR = 0xFC, 0xFD, 0xFE, 0xFF
MISSING = "Missing call parameters (WARNING: Default param resolution is not implemented)"


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def check(params, types):
    """RPClite's wrapper checks: missing, too many, then each parameter's type."""
    if not isinstance(params, list):
        return [MALFORMED_CALL_ERR, "Unserializable parameters array"]
    if len(params) < len(types):
        return [MALFORMED_CALL_ERR, MISSING]
    if len(params) > len(types):
        return [MALFORMED_CALL_ERR, "Too many parameters"]
    for position, (value, accepts) in enumerate(zip(params, types)):
        if not accepts(value):
            return [MALFORMED_CALL_ERR, "Wrong type parameter in position: %d" % position]
    return None


def is_number(value):
    return is_int(value) or isinstance(value, float)


SIGNATURES = {
    "add": [is_int, is_int],
    "echo": [lambda v: isinstance(v, str)],
    "scale": [is_number, is_number],
    "sum": [lambda v: isinstance(v, list) and all(is_int(x) for x in v)],
    "slow": [is_int],
    "set_led": [lambda v: isinstance(v, bool)],
    "blob": [is_int],
    "start_ticks": [is_int],
    "greet": [],
}


def call_method(name, params, change=()):
    """The sketch's answer to one call: (error, result, seconds before answering)."""
    if name not in SIGNATURES:
        return [FUNCTION_NOT_FOUND_ERR, name], None, 0
    problem = check(params, SIGNATURES[name])
    if problem:
        return problem, None, 0
    if name == "add":
        return None, params[0] + params[1] + (1 if "add" in change else 0), 0
    if name == "echo":
        return None, params[0], 0
    if name == "scale":
        return None, float(params[0]) * float(params[1]), 0
    if name == "sum":
        return None, sum(params[0]), 0
    if name == "slow":
        return None, params[0], params[0] / 1000
    if name == "set_led":
        return None, None, 0
    if name == "blob":
        return None, bytes(range(256)) * (params[0] // 256) + bytes(range(params[0] % 256)), 0
    if name == "start_ticks":
        return None, params[0], 0
    return None, "hello from the changed loop" if "greet" in change else "hello from the loop", 0


def packer():
    # The MCU's floats are 32-bit: RPClite sends them as float32 (0.1 * 3 -> 0.30000001192092896).
    return msgpack.Packer(use_single_float=True)


class Peer:
    def __init__(self, fd, args):
        self.fd = fd
        self.args = args
        self.packer = packer()
        self.unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
        self.outgoing = []  # calls not yet made, made one at a time
        self.waiting = None  # msgid of the call whose answer we wait for
        self.waiting_method = None
        self.next_msgid = 0
        self.timers = []  # (when, action)
        self.answered = 0
        self.wedged = False
        self.started = time.monotonic()

    def write(self, value):
        data = self.packer.pack(value)
        while data:
            try:
                data = data[os.write(self.fd, data):]
            except BlockingIOError:
                select.select([], [self.fd], [], 0.1)

    def call(self, method, params):
        self.outgoing.append((method, params))
        self.pump_calls()

    def pump_calls(self):
        if self.waiting is None and self.outgoing:
            method, params = self.outgoing.pop(0)
            self.waiting = self.next_msgid
            self.waiting_method = method
            self.next_msgid += 1
            self.write([0, self.waiting, method, params])

    def start(self):
        os.write(self.fd, BANNER)
        self.call("$/reset", [])
        for method in METHODS:
            self.call("$/register", [method])
        self.call("$/version", [])
        if self.args.heartbeat:
            self.later(self.args.heartbeat, lambda: self.beat(0))

    def beat(self, count):
        # The sketch's loop goes on while RPClite is wedged: heartbeats keep coming.
        self.write([2, "mcu_heartbeat", [count]])
        self.later(self.args.heartbeat, lambda: self.beat(count + 1))

    def answer(self, msgid, name, params):
        error, result, delay = call_method(name, params, self.args.change)
        self.later(delay, lambda: self.respond(msgid, error, result))
        if name == "start_ticks" and error is None:
            for i in range(params[0]):
                self.later(0.005 + 0.02 * i, lambda i=i: self.write(
                    [2, "mcu_tick", [i, int((time.monotonic() - self.started) * 1000)]]))
            self.later(0.005 + 0.02 * params[0], lambda: self.call("py_mul", [3, 7]))

    def respond(self, msgid, error, result):
        self.write([1, msgid, error, result])
        self.answered += 1
        if self.args.die_after is not None and self.answered >= self.args.die_after:
            # A real UART has sent the last answer when the MCU dies; a pty's hangup drops
            # what its other side has not read yet, so give the reader a moment first.
            time.sleep(0.1)
            os._exit(3)

    def later(self, delay, action):
        if delay <= 0:
            action()
        else:
            self.timers.append((time.monotonic() + delay, action))

    def handle(self, message):
        if not isinstance(message, list) or not message:
            return
        kind = message[0]
        if kind == 0 and len(message) == 4:
            self.answer(message[1], message[2], message[3])
        elif kind == 1 and len(message) == 4:
            if message[1] == self.waiting:
                self.waiting = None
                # What the router answered the sketch's calls, for the tests to read.
                print("answer %s: error %r, result %r" % (self.waiting_method, message[2], message[3]), flush=True)
                self.pump_calls()
        elif kind == 2 and len(message) == 3:
            # RPClite has no handler for $/cancelRequest and never consumes it: the wedge.
            if message[1] == "$/cancelRequest" and self.args.wedge:
                self.wedged = True

    def run(self):
        start_at = time.monotonic() + self.args.delay
        starting = not self.args.silent
        while True:
            now = time.monotonic()
            if starting and now >= start_at:
                starting = False
                self.start()
            due = [t for t in self.timers if t[0] <= now]
            self.timers = [t for t in self.timers if t[0] > now]
            for _, action in sorted(due, key=lambda t: t[0]):
                action()
            waits = [t[0] for t in self.timers] + ([start_at] if starting else [])
            timeout = max(0, min(waits) - time.monotonic()) if waits else 0.5
            readable, _, _ = select.select([self.fd], [], [], min(timeout, 0.5))
            if not readable:
                continue
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                data = b""  # EIO: no slave open just now; a real UART has nobody to hear
            if not data:
                time.sleep(0.01)
                continue
            if self.wedged or self.args.silent:
                continue
            self.unpacker.feed(data)
            for message in self.unpacker:
                self.handle(message)
                if self.wedged:
                    break


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path", help="where to link the pty's slave (the MCU's UART)")
    parser.add_argument("--delay", type=float, default=0.3, help="seconds before the sketch starts")
    parser.add_argument("--silent", action="store_true", help="never start")
    parser.add_argument("--change", action="append", default=[], choices=["add", "greet"],
                        help="answer this method differently from the recording")
    parser.add_argument("--die-after", type=int, help="exit abruptly after answering N calls")
    parser.add_argument("--wedge", action="store_true", help="never consume $/cancelRequest")
    parser.add_argument("--heartbeat", type=float, help="send mcu_heartbeat [n] every this many seconds once started")
    args = parser.parse_args()
    master, slave = os.openpty()
    # Raw before anything is written: a new pty echoes and waits for lines, and the banner
    # would come back to us as input.
    tty.setraw(slave)
    os.set_blocking(master, False)
    if os.path.lexists(args.path):
        os.unlink(args.path)
    os.symlink(os.ttyname(slave), args.path)
    print("ready", args.path, flush=True)
    try:
        Peer(master, args).run()
    finally:
        if os.path.islink(args.path):
            os.unlink(args.path)


if __name__ == "__main__":
    main()
