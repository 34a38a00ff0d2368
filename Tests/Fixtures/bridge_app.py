#!/usr/bin/env python3
"""An UNO Q app for the tap's live tests: the real arduino-router-bridge (PyPI) making calls.

Usage: bridge_app.py ADDRESS CALLS [--hold S] [--retry-until S]
ADDRESS is the router's (unix:///path); CALLS a JSON list of [method, [params...], timeout]
(or ["notify", method, [params...]], or ["notify_many", method, count, bytes]: count
notifications of one string of that many bytes, or ["sleep", seconds]). Prints "connected", a line "call " + JSON for each call
({"method", "params", "result"} or {"method", "params", "error": [code, message]} or
{"method", "params", "timeout": true}), then "done". With --retry-until, a call that fails for
want of a route or a connection is tried again until that many seconds have passed (for a
router or MCU coming back).
"""
import argparse, json, sys, time
from arduino.router_bridge import Bridge, RpcError

parser = argparse.ArgumentParser()
parser.add_argument("address")
parser.add_argument("calls")
parser.add_argument("--hold", type=float, default=0)
parser.add_argument("--retry-until", type=float, default=0)
args = parser.parse_args()

bridge = Bridge(args.address)
if not bridge.connect(timeout=20):
    print("cannot connect", flush=True)
    sys.exit(1)
print("connected", flush=True)
deadline = time.monotonic() + args.retry_until
for call in json.loads(args.calls):
    if call[0] == "notify":
        bridge.notify(call[1], *call[2])
        print("call " + json.dumps({"notify": call[1], "params": call[2]}), flush=True)
        continue
    if call[0] == "sleep":
        time.sleep(call[1])
        continue
    if call[0] == "notify_many":
        for _ in range(call[2]):
            bridge.notify(call[1], "x" * call[3])
        print("call " + json.dumps({"notify": call[1], "count": call[2]}), flush=True)
        continue
    method, params, timeout = call
    while True:
        line = {"method": method, "params": params}
        try:
            line["result"] = bridge.call(method, *params, timeout=timeout)
        except RpcError as error:
            line["error"] = [error.code, error.message]
        except TimeoutError:
            line["timeout"] = True
        except ConnectionError as error:
            line["connection"] = str(error)
        retry = "connection" in line or (line.get("error") or [0])[0] == 2
        if retry and time.monotonic() < deadline:
            time.sleep(0.2)
            continue
        break
    print("call " + json.dumps(line), flush=True)
print("done", flush=True)
time.sleep(args.hold)
bridge.disconnect()
