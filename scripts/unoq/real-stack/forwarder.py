#!/usr/bin/env python3
"""Serial-hop forwarder for rpc-analyze's UNO Q real-stack captures (own code).

Makes two pty pairs, one for the router (Linux side, core 0) and one for the MCU
(core 1), copies bytes between them and writes every chunk it copies as an
inter-core capture format v1 `uart` record (kind 2, channel 0, src = the writer,
dst = the other end, RX clear, per-stream seq) into a nanosecond little-endian pcap
with link type USER0 (147), as the bundled unoq-serial-hop.pcap is framed.

Router -> MCU bytes are handed to the MCU pty at no more than 115200 8N1
(10 bits/byte, 86.8 us); the MCU's own Serial1 paces MCU -> router.

Control:
  SIGUSR1  drop what is queued on the MCU side and not read yet (call it before the
           MCU is started again: bytes sent while the MCU was down are lost, as on a
           UART during a reset).
  SIGTERM  close the pcap and exit.
Options --kill-pattern HEX --kill-extra N --mcu-pid-file F: after the MCU -> router
stream has shown the bytes HEX and N more bytes, SIGKILL the pid in F (once):
this cuts the MCU mid-reply.
"""
import argparse, json, os, signal, struct, sys, termios, threading, time, tty

BYTE_NS = 10 * 1_000_000_000 // 115200  # 86805 ns per byte at 115200 8N1


class PcapWriter:
    def __init__(self, path):
        self.f = open(path, "wb")
        # nanosecond magic, v2.4, snaplen 262144, LINKTYPE_USER0
        self.f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 0x40000, 147))
        self.lock = threading.Lock()
        self.seq = {}

    def record(self, ts_ns, src, dst, payload):
        key = (src, dst)
        with self.lock:
            seq = self.seq.get(key, 0)
            self.seq[key] = (seq + 1) & 0xFFFFFFFF
            rec = b"IC" + bytes([1, 2, 0, src, dst, 0]) + struct.pack(">I", seq) + payload
            self.f.write(struct.pack("<IIII", ts_ns // 1_000_000_000, ts_ns % 1_000_000_000, len(rec), len(rec)))
            self.f.write(rec)
            self.f.flush()

    def close(self):
        with self.lock:
            self.f.close()


def make_pty():
    m, s = os.openpty()
    tty.setraw(s)
    return m, s, os.ttyname(s)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--info", required=True, help="JSON file to write the two pty paths to")
    ap.add_argument("--kill-pattern")
    ap.add_argument("--kill-extra", type=int, default=0)
    ap.add_argument("--mcu-pid-file")
    a = ap.parse_args()

    rm, rs, rpath = make_pty()   # router side: the router opens rpath
    mm, ms, mpath = make_pty()   # MCU side: the MCU opens mpath
    pcap = PcapWriter(a.pcap)
    stop = threading.Event()

    def on_usr1(*_):
        termios.tcflush(ms, termios.TCIFLUSH)

    def on_term(*_):
        stop.set()

    signal.signal(signal.SIGUSR1, on_usr1)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    def router_to_mcu():
        while not stop.is_set():
            try:
                data = os.read(rm, 4096)
            except OSError:
                time.sleep(0.001); continue
            t = time.time_ns()
            pcap.record(t, 0, 1, data)
            # hand over at the wire rate, 8 bytes at a time
            slot = time.monotonic_ns()
            for i in range(0, len(data), 8):
                piece = data[i:i + 8]
                now = time.monotonic_ns()
                if slot > now:
                    time.sleep((slot - now) / 1e9)
                os.write(mm, piece)
                slot = max(slot, now) + len(piece) * BYTE_NS

    pattern = bytes.fromhex(a.kill_pattern) if a.kill_pattern else None
    state = {"seen": b"", "armed": pattern is not None, "after": None}

    def mcu_to_router():
        while not stop.is_set():
            try:
                data = os.read(mm, 4096)
            except OSError:
                time.sleep(0.001); continue
            t = time.time_ns()
            pcap.record(t, 1, 0, data)
            os.write(rm, data)
            if state["armed"]:
                if state["after"] is None:
                    state["seen"] = (state["seen"] + data)[-4096:]
                    k = state["seen"].find(pattern)
                    if k >= 0:
                        state["after"] = len(state["seen"]) - (k + len(pattern))
                else:
                    state["after"] += len(data)
                if state["after"] is not None and state["after"] >= a.kill_extra:
                    state["armed"] = False
                    pid = int(open(a.mcu_pid_file).read())
                    os.kill(pid, signal.SIGKILL)
                    print(f"forwarder: SIGKILL MCU pid {pid} at {t}", file=sys.stderr, flush=True)

    for fn in (router_to_mcu, mcu_to_router):
        threading.Thread(target=fn, daemon=True).start()
    with open(a.info + ".tmp", "w") as f:
        json.dump({"router_pty": rpath, "mcu_pty": mpath, "pid": os.getpid()}, f)
    os.rename(a.info + ".tmp", a.info)
    while not stop.is_set():
        stop.wait(0.2)
    pcap.close()


if __name__ == "__main__":
    main()
