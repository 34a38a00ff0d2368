#!/usr/bin/env python3
"""A stand-in for arduino-router on a Unix socket, for the replay tests: not the real router
(Go, arduino/arduino-router), a small server that behaves as it does towards its clients.

  router_standin.py PATH [--change add]

$/register [name] -> true ([5, "route already exists: name"] when taken), $/reset -> true,
$/version -> "0.0.0-dev"; a call or notification for a registered method is forwarded to the
connection that registered it under the router's own msgids, and its answer passed back; any
other method is [2, "method NAME not available"]. The MCU's methods are answered here, as
scripts/unoq/rpclite_peer.py answers them (its function, imported), with the MCU's side
effects: start_ticks(n) sends n mcu_tick notifications to whoever registered mcu_tick and
then calls py_mul [3, 7]. Prints "listening PATH".
"""
import argparse
import asyncio
import importlib.util
import os
import sys
import time

import msgpack

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "rpclite_peer", os.path.join(HERE, "..", "..", "scripts", "unoq", "rpclite_peer.py"))
rpclite = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rpclite)

routes = {}  # method -> Connection
started = time.monotonic()


class Connection:
    def __init__(self, reader, writer, change):
        self.reader = reader
        self.writer = writer
        self.change = change
        self.packer = rpclite.packer()
        self.next_msgid = 1
        self.waiting = {}  # router msgid -> future

    def send(self, value):
        self.writer.write(self.packer.pack(value))

    async def request(self, method, params):
        msgid = self.next_msgid
        self.next_msgid += 1
        future = asyncio.get_running_loop().create_future()
        self.waiting[msgid] = future
        self.send([0, msgid, method, params])
        return await future

    async def handle_request(self, msgid, method, params):
        error, result = await self.answer(method, params)
        self.send([1, msgid, error, result])

    async def answer(self, method, params):
        if method == "$/register":
            if len(params) != 1 or not isinstance(params[0], str):
                return [1, "invalid params"], None
            if params[0] in routes:
                return [5, "route already exists: %s" % params[0]], None
            routes[params[0]] = self
            return None, True
        if method == "$/reset":
            for name in [name for name, owner in routes.items() if owner is self]:
                del routes[name]
            return None, True
        if method == "$/version":
            return None, "0.0.0-dev"
        if method in routes:
            return await routes[method].request(method, params)
        if method in rpclite.SIGNATURES:
            error, result, delay = rpclite.call_method(method, params, self.change)
            if delay:
                await asyncio.sleep(delay)
            if method == "start_ticks" and error is None:
                asyncio.get_running_loop().create_task(ticks(params[0]))
            return error, result
        return [2, "method %s not available" % method], None

    def notify(self, method, params):
        if method in routes:
            routes[method].send([2, method, params])

    async def run(self):
        unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
        try:
            while True:
                data = await self.reader.read(65536)
                if not data:
                    break
                unpacker.feed(data)
                for message in unpacker:
                    if message[0] == 0:
                        asyncio.get_running_loop().create_task(self.handle_request(*message[1:]))
                    elif message[0] == 1:
                        future = self.waiting.pop(message[1], None)
                        if future and not future.done():
                            future.set_result((message[2], message[3]))
                    elif message[0] == 2:
                        self.notify(message[1], message[2])
        finally:
            for name in [name for name, owner in routes.items() if owner is self]:
                del routes[name]
            for future in self.waiting.values():
                if not future.done():
                    future.set_result(([3, "failed to send request: connection closed"], None))
            self.writer.close()


async def ticks(count):
    """What the sketch does after start_ticks: heartbeats, then a call to an app's method."""
    for i in range(count):
        await asyncio.sleep(0.02)
        if "mcu_tick" in routes:
            routes["mcu_tick"].send([2, "mcu_tick", [i, int((time.monotonic() - started) * 1000)]])
    if "py_mul" in routes:
        await routes["py_mul"].request("py_mul", [3, 7])


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--change", action="append", default=[])
    args = parser.parse_args()
    if os.path.exists(args.path):
        os.unlink(args.path)
    server = await asyncio.start_unix_server(
        lambda r, w: Connection(r, w, args.change).run(), path=args.path)
    print("listening", args.path, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
