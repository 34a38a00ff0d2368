#!/usr/bin/env python3
"""Peers that put `rpc-analyze record --proxy` in the situations it must survive, against
rpc_server.py (echo) or a target of their own. Each prints what the test waits for on standard
output, one line at a time, flushed.

  calls HOST PORT --count N [--size B] [--sizes B,B,..] [--interval S] [--window W] [--hold S] [--log FILE]
      N echo calls, each with a bin of B random bytes (or one call per size in --sizes), W at a
      time (1: each waits for its answer), S seconds apart; every answer is checked. With --log,
      "MSGID MONOTONIC_SECONDS" is appended there when each answer has come. Prints
      "answered N", then keeps the connection open --hold seconds. Exits 0 when all came back.
  stalled HOST PORT
      Sends echo calls of 64 KiB and never reads an answer; prints "stalled" once a send has
      waited a second (the proxy stopped reading from it), then holds the connection.
  burst HOST PORT N
      Opens N connections at once, then makes one call on each; prints one JSON line:
      {"connected": n, "answered": n, "slowest_connect": seconds}.
  gated-server
      rpc_server.py's server whose accept queue is full after its first session: it serves the first
      connection, then accepts no more and fills its queue (backlog 0) with a connection to
      itself, so that every later connect waits for ever. Prints "listening PORT", then "full".
"""
import json
import os
import select
import socket
import sys
import threading
import time

import msgpack

import rpc_server


def connect(host, port):
    conn = socket.create_connection((host, int(port)))
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def option(args, name, default, kind=int):
    if name in args:
        return kind(args[args.index(name) + 1])
    return default


def calls(host, port, args):
    count = option(args, "--count", 1)
    size = option(args, "--size", 16)
    sizes = [int(s) for s in option(args, "--sizes", "", str).split(",") if s] or [size] * count
    interval = option(args, "--interval", 0.0, float)
    window = option(args, "--window", 1)
    hold = option(args, "--hold", 0.0, float)
    log_path = option(args, "--log", None, str)
    log = open(log_path, "a", buffering=1) if log_path else None
    conn = connect(host, port)
    unpacker = msgpack.Unpacker(raw=False, max_buffer_size=1 << 31)
    # One block of random bytes, cut to each call's size: bodies hold every byte value (0xC1 too).
    block = os.urandom(max(sizes))
    sent = {}
    answered = 0
    next_id = 0

    def send_next():
        nonlocal next_id
        payload = block[: sizes[next_id]]
        next_id += 1
        sent[next_id] = payload
        conn.sendall(msgpack.packb([0, next_id, "echo", [payload]], use_bin_type=True))

    while answered < len(sizes):
        while next_id < len(sizes) and len(sent) < window:
            send_next()
        try:
            data = conn.recv(1 << 20)
        except ConnectionResetError:
            data = b""
        if not data:
            raise SystemExit("the connection closed after %d answers" % answered)
        unpacker.feed(data)
        for message in unpacker:
            _, msgid, error, result = message
            if error is not None or result != sent.pop(msgid):
                raise SystemExit("answer %d is wrong" % msgid)
            answered += 1
            if log:
                log.write("%d %.6f\n" % (msgid, time.monotonic()))
            if interval:
                time.sleep(interval)
    print("answered", answered, flush=True)
    time.sleep(hold)
    conn.close()


def stalled(host, port):
    conn = connect(host, port)
    conn.settimeout(1.0)
    call = msgpack.packb([0, 1, "echo", [b"x" * 65536]], use_bin_type=True)
    try:
        while True:
            conn.sendall(call)
    except socket.timeout:
        print("stalled", flush=True)
    while True:
        time.sleep(60)


def burst(host, port, count):
    started = time.monotonic()
    pending = {}
    for _ in range(count):
        conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        conn.setblocking(False)
        conn.connect_ex((host, int(port)))
        pending[conn] = started
    connected, slowest = [], 0.0
    while pending and time.monotonic() - started < 30:
        _, writable, _ = select.select([], list(pending), [], 1.0)
        for conn in writable:
            pending.pop(conn)
            if conn.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                slowest = max(slowest, time.monotonic() - started)
                connected.append(conn)
    answered = 0
    for number, conn in enumerate(connected):
        conn.setblocking(True)
        conn.settimeout(20)
        conn.sendall(msgpack.packb([0, number, "echo", ["burst"]], use_bin_type=True))
    for conn in connected:
        unpacker = msgpack.Unpacker(raw=False)
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                unpacker.feed(data)
                if any(message[3] == "burst" for message in unpacker):
                    answered += 1
                    break
        except socket.timeout:
            pass
        conn.close()
    print(json.dumps({"connected": len(connected), "answered": answered, "slowest_connect": slowest}), flush=True)


def gated_server():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    print("listening", port, flush=True)
    first, _ = server.accept()
    threading.Thread(target=rpc_server.handle, args=(first,), daemon=True).start()
    # Backlog 0 queues one connection: this one, never accepted, leaves no room for another.
    filler = socket.create_connection(("127.0.0.1", port))
    print("full", flush=True)
    while True:
        time.sleep(60)
        filler.getsockname()


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "calls":
        calls(args[0], args[1], args[2:])
    elif mode == "stalled":
        stalled(args[0], args[1])
    elif mode == "burst":
        burst(args[0], args[1], int(args[2]))
    elif mode == "gated-server":
        gated_server()
    else:
        raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    main()
