#!/usr/bin/env python3
"""A small MessagePack-RPC server over TCP, a real peer for rpc-analyze's tests.

Methods: add(a, b), echo(x), servo_write(id, angle) (an error past 180 degrees), slow(ms)
(answers after a delay, so calls overlap), stop() (closes the server). With --changed, add is
off by one: a server whose behaviour changed, for replay tests. A `log` notification is
printed. Prints "listening PORT" once it accepts connections; the port is 0 for any free one.
"""
import socket
import sys
import threading
import time

import msgpack


def handle(conn):
    unpacker = msgpack.Unpacker(raw=False)
    lock = threading.Lock()

    def reply(msgid, error, result):
        with lock:
            conn.sendall(msgpack.packb([1, msgid, error, result], use_bin_type=True))

    while True:
        data = conn.recv(65536)
        if not data:
            break
        unpacker.feed(data)
        for message in unpacker:
            if message[0] == 2:
                continue
            _, msgid, method, params = message
            if method == "add":
                reply(msgid, None, params[0] + params[1] + (1 if CHANGED else 0))
            elif method == "echo":
                reply(msgid, None, params[0])
            elif method == "servo_write":
                if params[1] > 180:
                    reply(msgid, [-32602, "angle %d out of range 0-180" % params[1]], None)
                else:
                    reply(msgid, None, True)
            elif method == "slow":
                threading.Timer(params[0] / 1000.0, reply, (msgid, None, params[0])).start()
            elif method == "stop":
                reply(msgid, None, True)
                time.sleep(0.05)
                conn.close()
                sys.exit(0)
            else:
                reply(msgid, "unknown method %s" % method, None)
    conn.close()


CHANGED = "--changed" in sys.argv


def main():
    sys.argv = [a for a in sys.argv if a != "--changed"]
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server = socket.socket(family, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host, port))
    # Room for many clients connecting at once (a proxy forwarding a burst of them).
    server.listen(128)
    print("listening", server.getsockname()[1], flush=True)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
