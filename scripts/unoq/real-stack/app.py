#!/usr/bin/env python3
"""Linux-side apps for rpc-analyze's UNO Q real-stack captures (own code).

Each run is one app process using the real Python client, arduino-router-bridge
(`from arduino.router_bridge import Bridge`), over the router's TCP listener.
    app.py ADDRESS ROLE
ROLE is one of the roles below; the app prints one line per step ("step ... -> ...")
and "ready" when its methods are registered, so the driver can sequence the apps.
"""
import sys, time
from arduino.router_bridge import Bridge, RpcError


def say(*a):
    print(*a, flush=True)


def do_call(b, method, *params, timeout=3.0):
    try:
        r = b.call(method, *params, timeout=timeout)
        say(f"step call {method}{params!r} -> ok {r!r}")
        return r
    except RpcError as e:
        say(f"step call {method}{params!r} -> RpcError {e.code} {e.message!r}")
    except TimeoutError as e:
        say(f"step call {method}{params!r} -> TimeoutError {e}")
    except Exception as e:  # noqa: BLE001 - recorded in the log as it happens
        say(f"step call {method}{params!r} -> {type(e).__name__} {e}")


def do_provide(b, name, fn):
    try:
        b.provide(name, fn)
        say(f"step provide {name} -> ok")
    except Exception as e:  # noqa: BLE001
        say(f"step provide {name} -> {type(e).__name__} {e}")


def wait_stdin(word):
    """Blocks until the driver writes `word` on stdin."""
    for line in sys.stdin:
        if line.strip() == word:
            return


def main():
    addr, role = sys.argv[1], sys.argv[2]
    b = Bridge(addr)
    b.connect(timeout=5)
    say("connected")

    if role == "restart-caller":
        do_call(b, "add", 1, 2)
        do_call(b, "echo", "before")
        do_call(b, "long_reply", 60, timeout=4.0)   # the MCU is killed while answering this
        wait_stdin("mcu-back")
        do_call(b, "add", 2, 3)
        do_call(b, "echo", "after")
    elif role == "conflict-a":
        do_provide(b, "py_shared", lambda x: f"a:{x}")
        do_provide(b, "py_a", lambda: "a")
        say("ready")
        wait_stdin("quit")
    elif role == "conflict-b":
        do_provide(b, "py_shared", lambda x: f"b:{x}")   # router: route already exists
        do_provide(b, "py_b", lambda: "b")               # no conflict
        say("ready")
        wait_stdin("go")
        do_call(b, "py_shared", 7)
        do_call(b, "py_a")
        do_call(b, "py_b")
        do_call(b, "echo", "mcu still fine")
    elif role == "noroute-late":
        wait_stdin("provide")
        do_provide(b, "py_late", lambda x: x * 2)
        say("ready")
        wait_stdin("quit")
    elif role == "noroute-caller":
        do_call(b, "echo", "is the MCU there?")   # before the MCU has registered echo
        do_call(b, "py_late", 21)                  # before the other app provides it
        say("ready")
        wait_stdin("go")
        do_call(b, "echo", "is the MCU there?")
        do_call(b, "py_late", 21)
        do_call(b, "never_registered", 1)
    elif role == "oversized-caller":
        # request on the serial hop: 94 00 id a4'echo' 91 d9 NN + NN bytes = 11 + NN bytes
        do_call(b, "echo", "u" * 244, timeout=3.0)   # 255 bytes: just under RPClite's 256-byte request buffer
        do_call(b, "echo", "v" * 245, timeout=3.0)   # 256 bytes: exactly the buffer
        do_call(b, "echo", "o" * 246, timeout=3.0)   # 257 bytes: one byte over
        do_call(b, "add", 1, 2, timeout=2.0)
        do_call(b, "echo", "small", timeout=2.0)
    elif role == "cancel-caller":
        do_call(b, "add", 1, 2)
        do_call(b, "slow", 300, timeout=2.0)          # answered in time, no cancel
        do_call(b, "slow", 1500, timeout=0.5)         # times out: the bridge sends $/cancelRequest
        time.sleep(1.5)
        do_call(b, "add", 2, 2)
        do_call(b, "echo", "still there?")
    else:
        raise SystemExit(f"unknown role {role}")
    time.sleep(0.3)
    b.disconnect()
    say("done")


if __name__ == "__main__":
    main()
