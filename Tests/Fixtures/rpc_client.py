#!/usr/bin/env python3
"""Drives rpc_server.py through a fixed session: calls, pipelined calls answered out of order,
an error, a notification. Usage: rpc_client.py HOST PORT. Exits 0 when every answer came."""
import socket
import sys

import msgpack


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    conn = socket.socket(family, socket.SOCK_STREAM)
    conn.connect((host, port))
    unpacker = msgpack.Unpacker(raw=False)

    def send(message):
        conn.sendall(msgpack.packb(message, use_bin_type=True))

    def wait(count):
        answers = {}
        while len(answers) < count:
            data = conn.recv(65536)
            if not data:
                raise SystemExit("server closed the connection")
            unpacker.feed(data)
            for message in unpacker:
                answers[message[1]] = message
        return answers

    send([0, 1, "add", [2, 3]])
    assert wait(1)[1][3] == 5
    send([2, "log", ["client ready"]])
    # Pipelined: the slow call is answered after the quick ones.
    send([0, 2, "slow", [30]])
    send([0, 3, "echo", ["hello over tcp"]])
    send([0, 4, "servo_write", [0, 90]])
    answers = wait(3)
    assert answers[3][3] == "hello over tcp" and answers[4][3] is True and answers[2][3] == 30
    send([0, 5, "servo_write", [0, 200]])
    assert wait(1)[5][2][0] == -32602
    send([0, 6, "echo", [{"deg": 64, "ids": [1, 2, 3]}]])
    assert wait(1)[6][3] == {"deg": 64, "ids": [1, 2, 3]}
    conn.close()


if __name__ == "__main__":
    main()
