#!/usr/bin/env python3
"""Measures what `record --tap-serial` adds to a serial line's latency, on ptys (no UART: what
is measured is the tap's software path, a read and a write per chunk plus the recording).

A router stand-in writes on one end and a responder process echoes on the other:
  direct:  router -> pty pair -> responder -> pty pair -> router
  tapped:  router -> the tap's pty -> tap -> pty pair (the tap's DEVICE) -> responder -> back
Two cases: one byte each way (per byte), and a 32-byte request answered by a 12-byte response
(per call: about an RPClite call's size). Each round trip is timed from the router's write to
its reading the whole answer, --count times, after --warmup; the figures are the median and the
90th percentile, and the added latency is tapped minus direct (a round trip passes the tap twice).

Usage: tap_latency.py RPC_ANALYZE [--count N] [--warmup N]
"""
import argparse, os, signal, statistics, subprocess, sys, tempfile, time, tty


def responder(fd, request_size, answer_size):
    """Child process: reads each whole request and answers it."""
    answer = b"\x94\x01\x01\xc0" + b"\xa7" + b"r" * (answer_size - 5)
    while True:
        got = 0
        while got < request_size:
            chunk = os.read(fd, request_size - got)
            if not chunk:
                os._exit(0)
            got += len(chunk)
        os.write(fd, answer[:answer_size])


def round_trips(fd, request_size, answer_size, count, warmup):
    request = (b"\x94\x00\x01\xa3add\x92" + b"\x01" * request_size)[:request_size]
    times = []
    for index in range(warmup + count):
        start = time.perf_counter_ns()
        os.write(fd, request)
        got = 0
        while got < answer_size:
            got += len(os.read(fd, answer_size - got))
        if index >= warmup:
            times.append(time.perf_counter_ns() - start)
    return times


def measure(binary, tapped, request_size, answer_size, count, warmup):
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    child = os.fork()
    if child == 0:
        os.close(slave)
        responder(master, request_size, answer_size)
    recorder = None
    try:
        if tapped:
            directory = tempfile.mkdtemp(prefix="tap-latency-")
            link = os.path.join(directory, "tty")
            recorder = subprocess.Popen([binary, "record", "--tap-serial", os.ttyname(slave), "--pty", link,
                                         "-w", os.path.join(directory, "tap.pcapng")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            while not os.path.islink(link):
                time.sleep(0.01)
            router = os.open(link, os.O_RDWR | os.O_NOCTTY)
            tty.setraw(router)
        else:
            router = slave
        return round_trips(router, request_size, answer_size, count, warmup)
    finally:
        if recorder:
            recorder.send_signal(signal.SIGINT)
            recorder.wait(timeout=20)
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    args = parser.parse_args()
    for name, request, answer in (("per byte", 1, 1), ("per call", 32, 12)):
        direct = measure(args.binary, False, request, answer, args.count, args.warmup)
        tapped = measure(args.binary, True, request, answer, args.count, args.warmup)
        d50, t50 = statistics.median(direct), statistics.median(tapped)
        d90 = statistics.quantiles(direct, n=10)[-1]
        t90 = statistics.quantiles(tapped, n=10)[-1]
        print(f"{name} ({request} B out, {answer} B back), {args.count} round trips: "
              f"direct p50 {d50 / 1000:.1f} us p90 {d90 / 1000:.1f} us; through the tap p50 {t50 / 1000:.1f} us "
              f"p90 {t90 / 1000:.1f} us; added p50 {(t50 - d50) / 1000:.1f} us a round trip "
              f"({(t50 - d50) / 2000:.1f} us a direction)", flush=True)


if __name__ == "__main__":
    main()
