#!/usr/bin/env python3
"""Driver for rpc-analyze's UNO Q real-stack captures (own code).

Starts, on this host: the forwarder (two ptys, serial-hop pcap), tcpdump on lo for the
router's TCP port, the real arduino-router on the router pty, the MCU host binary
(real Arduino_RouterBridge + Arduino_RPClite) on the MCU pty, and the app processes
(app.py, real arduino-router-bridge); sequences one scenario; stops everything it
started (by pid) and writes OUTDIR/NAME.serial.pcap, NAME.tcp.pcap, NAME.pcapng (both
merged) and the logs.

    run_scenario.py SCENARIO OUTDIR [--port 47031]
SCENARIO: mcu-restart | route-conflict | no-route | oversized | cancel-ok
Binaries: $ROUTER (default /work/cache/bin/arduino-router), $MCU
(default /work/cache/bin/unoq-mcu-host).
"""
import argparse, json, os, signal, subprocess, sys, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROUTER = os.environ.get("ROUTER", "/work/cache/bin/arduino-router")
MCU = os.environ.get("MCU", "/work/cache/bin/unoq-mcu-host")


class Run:
    def __init__(self, name, outdir, port):
        self.name, self.out, self.port = name, outdir, port
        self.procs = []
        os.makedirs(outdir, exist_ok=True)
        self.p = lambda ext: os.path.join(outdir, f"{name}.{ext}")
        self.addr = f"tcp://127.0.0.1:{port}"

    def spawn(self, argv, log, env=None, stdin=None, stdout=None):
        f = open(self.p(log), "ab")
        pr = subprocess.Popen(argv, stdout=stdout or f, stderr=f, stdin=stdin,
                              env={**os.environ, **(env or {})}, text=stdout is not None)
        self.procs.append(pr)
        return pr

    def start_infra(self, fwd_args=()):
        for ext in ("serial.pcap", "tcp.pcap", "pcapng", "info", "steps.log", "apps.log", "mcu.log",
                    "router.log", "forwarder.log", "tcpdump.log"):
            if os.path.exists(self.p(ext)):
                os.remove(self.p(ext))
        self.tcpdump = self.spawn(["tcpdump", "-i", "lo", "-n", "-U", "--immediate-mode", "--time-stamp-precision=nano",
                                   "-w", self.p("tcp.pcap"), f"tcp port {self.port}"], "tcpdump.log")
        self.fwd = self.spawn([sys.executable, os.path.join(HERE, "forwarder.py"), "--pcap", self.p("serial.pcap"),
                               "--info", self.p("info"), *fwd_args], "forwarder.log")
        while not os.path.exists(self.p("info")):
            time.sleep(0.05)
        self.info = json.load(open(self.p("info")))
        time.sleep(1.0)  # tcpdump needs a moment before it captures
        self.router = self.spawn([ROUTER, "-v", "-l", f"127.0.0.1:{self.port}", "-p", self.info["router_pty"],
                                  "-b", "115200", "-u", f"/tmp/unoq-router-{self.port}.sock",
                                  "-m", f"127.0.0.1:{self.port + 1}"], "router.log")
        time.sleep(0.5)

    def start_mcu(self, env=None, wait_ready=True):
        pr = self.spawn([MCU], "mcu.log", env={"UNOQ_SERIAL": self.info["mcu_pty"], **(env or {})},
                        stdout=subprocess.PIPE)
        with open(self.p("mcu.pid"), "w") as f:
            f.write(str(pr.pid))
        pr.lines = []
        if wait_ready:
            self.wait_line(pr, "mcu: ready")
            threading.Thread(target=lambda: [self.log(pr, l) for l in pr.stdout], daemon=True).start()
        return pr

    def wait_line(self, pr, text, timeout=10):
        t = time.time()
        while time.time() - t < timeout:
            line = pr.stdout.readline()
            if not line:
                break
            self.log(pr, line)
            if text in line:
                return True
        raise RuntimeError(f"{text!r} not seen")

    def log(self, pr, line):
        with open(self.p("steps.log"), "a") as f:
            f.write(f"{time.time_ns()} [{os.path.basename(pr.args[-1])}] {line}")

    def app(self, role):
        pr = self.spawn([sys.executable, os.path.join(HERE, "app.py"), self.addr, role], "apps.log",
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        return pr

    def tell(self, pr, word):
        pr.stdin.write(word + "\n")
        pr.stdin.flush()

    def finish(self, pr, timeout=30):
        for line in pr.stdout:
            self.log(pr, line)
        pr.wait(timeout)

    def stop(self):
        time.sleep(0.5)
        for pr in reversed(self.procs):
            if pr.poll() is None:
                if pr is self.tcpdump:
                    time.sleep(1.0)  # let tcpdump write out what it has received
                pr.send_signal(signal.SIGINT if pr is self.tcpdump else signal.SIGTERM)
                try:
                    pr.wait(5)
                except subprocess.TimeoutExpired:
                    pr.kill()
        subprocess.run(["mergecap", "-F", "pcapng", "-w", self.p("pcapng"), self.p("tcp.pcap"),
                        self.p("serial.pcap")], check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario")
    ap.add_argument("outdir")
    ap.add_argument("--port", type=int, default=47031)
    a = ap.parse_args()
    r = Run("unoq-" + a.scenario, a.outdir, a.port)
    try:
        if a.scenario == "mcu-restart":
            # after the MCU has written 'rrrrrrrr' and 20 more bytes of its reply, kill it
            r.start_infra(["--kill-pattern", "72" * 8, "--kill-extra", "20",
                           "--mcu-pid-file", r.p("mcu.pid")])
            mcu = r.start_mcu({"UNOQ_HEARTBEAT_MS": "400"}, wait_ready=False)
            c = r.app("restart-caller")
            for line in iter(mcu.stdout.readline, ""):
                r.log(mcu, line)
            mcu.wait()
            r.log(mcu, f"mcu exited {mcu.returncode}\n")
            time.sleep(0.3)                        # the board resets and boots again
            os.kill(r.fwd.pid, signal.SIGUSR1)     # bytes sent to the dead MCU are lost
            mcu2 = r.start_mcu({"UNOQ_HEARTBEAT_MS": "400"})
            time.sleep(0.5)
            r.tell(c, "mcu-back")
            r.finish(c)
        elif a.scenario == "route-conflict":
            r.start_infra()
            ca = r.app("conflict-a"); r.wait_line(ca, "ready")
            mcu = r.start_mcu({"UNOQ_PROVIDE_EXTRA": "py_shared"})   # the MCU also wants py_shared
            cb = r.app("conflict-b"); r.wait_line(cb, "ready")
            r.tell(cb, "go"); r.finish(cb)
            r.tell(ca, "quit"); r.finish(ca)
        elif a.scenario == "no-route":
            r.start_infra()
            late = r.app("noroute-late"); r.wait_line(late, "connected")
            c = r.app("noroute-caller"); r.wait_line(c, "ready")
            mcu = r.start_mcu()
            r.tell(late, "provide"); r.wait_line(late, "ready")
            r.tell(c, "go"); r.finish(c)
            r.tell(late, "quit"); r.finish(late)
        elif a.scenario == "oversized":
            r.start_infra()
            # the MCU consumes $/cancelRequest, so what happens is the oversized request's doing
            mcu = r.start_mcu({"UNOQ_PROVIDE_CANCEL": "1"})
            c = r.app("oversized-caller"); r.finish(c)
        elif a.scenario == "cancel-ok":
            r.start_infra()
            mcu = r.start_mcu({"UNOQ_PROVIDE_CANCEL": "1"})
            c = r.app("cancel-caller"); r.finish(c)
        else:
            raise SystemExit("unknown scenario")
    finally:
        r.stop()


if __name__ == "__main__":
    main()
