#!/usr/bin/env python3
"""A stand-in for arduino-router, for tests where the real one is not built: our own code, not
the router's, doing what its source (arduino/arduino-router, internal/msgpackrouter and
msgpackrpc) does on the wire. Clients on a Unix socket and the MCU on a serial port are all
peers: `$/register [name]` routes the name to the peer that sent it (true, or [5, "route
already exists: NAME"]), `$/reset` drops the sender's routes, `$/version` answers the router's
version, anything else goes to the peer that registered it under a msgid of the router's own
for that peer (1, 2, ...), or is answered [2, "method NAME not available"]. Notifications go
to the method's peer, or nowhere. A `$/cancelRequest [msgid]` from a caller is sent on to the
callee as `$/cancelRequest [its msgid]`. A caller that goes away is not cancelled for (the
router does not either): the late answer is dropped. The serial port is set raw at -b (as the
router's go.bug.st/serial does) and opened again when it fails (every second; the router waits 5).

Usage: router_standin.py -u SOCKET -p SERIAL [-b 115200]
"""
import argparse, os, socket, sys, termios, threading, time, tty
import msgpack

VERSION = "standin-0.1"
SPEEDS = {9600: termios.B9600, 57600: termios.B57600, 115200: termios.B115200, 230400: termios.B230400}


class Peer:
    def __init__(self, router, name, read, write, close):
        self.router, self.name = router, name
        self._read, self._write, self._close = read, write, close
        self.lock = threading.Lock()
        self.next_id = 1
        self.out = {}  # our msgid -> (caller peer, caller msgid)

    def send(self, value):
        data = msgpack.packb(value)
        with self.lock:
            try:
                self._write(data)
            except OSError:
                pass

    def run(self):
        unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
        while True:
            try:
                data = self._read()
            except OSError:
                data = b""
            if not data:
                break
            unpacker.feed(data)
            for value in unpacker:
                if isinstance(value, list) and len(value) >= 3:
                    self.router.message(self, value)
        self.router.gone(self)
        self._close()


class Router:
    def __init__(self):
        self.lock = threading.Lock()
        self.routes = {}

    def message(self, peer, value):
        kind = value[0]
        if kind == 0 and len(value) == 4:
            self.request(peer, value[1], value[2], value[3])
        elif kind == 1 and len(value) == 4:
            with self.lock:
                caller = peer.out.pop(value[1], None)
            if caller:
                caller[0].send([1, caller[1], value[2], value[3]])
        elif kind == 2:
            self.notification(peer, value[1], value[2])

    def request(self, peer, msgid, method, params):
        def answer(error, result=None):
            peer.send([1, msgid, error, result])
        if method == "$/register":
            if len(params) != 1 or not isinstance(params[0], str):
                return answer([1, "invalid params: expected one string"])
            with self.lock:
                if params[0] in self.routes:
                    return answer([5, f"route already exists: {params[0]}"])
                self.routes[params[0]] = peer
            return answer(None, True)
        if method == "$/reset":
            self.drop_routes(peer)
            return answer(None, True)
        if method == "$/version":
            return answer(None, VERSION)
        with self.lock:
            callee = self.routes.get(method)
            if callee is None:
                return answer([2, f"method {method} not available"])
            ours = callee.next_id
            callee.next_id += 1
            callee.out[ours] = (peer, msgid)
        callee.send([0, ours, method, params])

    def notification(self, peer, method, params):
        if method == "$/cancelRequest" and params:
            with self.lock:
                for callee in set(self.routes.values()):
                    for ours, (caller, theirs) in callee.out.items():
                        if caller is peer and theirs == params[0]:
                            callee.send([2, "$/cancelRequest", [ours]])
            return
        with self.lock:
            callee = self.routes.get(method)
        if callee is not None:
            callee.send([2, method, params])

    def drop_routes(self, peer):
        with self.lock:
            for name in [n for n, p in self.routes.items() if p is peer]:
                del self.routes[name]

    def gone(self, peer):
        self.drop_routes(peer)


def write_all(fd, data):
    """A write to a tty may take part of the bytes (its buffer full): the rest goes after."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def serial_loop(router, path, baud):
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        except OSError as error:
            print(f"cannot open {path}: {error}; again in 1 s", file=sys.stderr, flush=True)
            time.sleep(1)
            continue
        # TCSANOW: the default TCSAFLUSH would drop what the MCU sent before we opened (its $/reset).
        tty.setraw(fd, termios.TCSANOW)
        attributes = termios.tcgetattr(fd)
        attributes[4] = attributes[5] = SPEEDS[baud]
        termios.tcsetattr(fd, termios.TCSANOW, attributes)
        print(f"serial {path} open at {baud}", flush=True)
        Peer(router, "serial", lambda: os.read(fd, 4096), lambda d: write_all(fd, d), lambda: os.close(fd)).run()
        print(f"serial {path} failed; opening it again", file=sys.stderr, flush=True)
        time.sleep(1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-u", "--unix-port", required=True)
    parser.add_argument("-p", "--serial-port", required=True)
    parser.add_argument("-b", "--serial-baudrate", type=int, default=115200)
    args = parser.parse_args()
    router = Router()
    if os.path.exists(args.unix_port):
        os.remove(args.unix_port)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(args.unix_port)
    os.chmod(args.unix_port, 0o666)
    listener.listen(64)
    threading.Thread(target=serial_loop, args=(router, args.serial_port, args.serial_baudrate), daemon=True).start()
    print(f"listening {args.unix_port}", flush=True)
    while True:
        connection, _ = listener.accept()
        peer = Peer(router, "client", lambda c=connection: c.recv(65536), connection.sendall, connection.close)
        threading.Thread(target=peer.run, daemon=True).start()


if __name__ == "__main__":
    main()
