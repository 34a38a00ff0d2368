#!/usr/bin/env python3
"""Drives `record --tap-serial` alone for SerialTapTests: DEVICE is a pty pair's slave (or a
FIFO with --fifo), the router's side sets the tap's pty to 57600 as a router's tcsetattr
would, writes a request, and reads what DEVICE's far end got. Prints one JSON line: DEVICE's
speed afterwards (for a pty), what arrived, and the recorder's exit and standard error.

Usage: tap_line_settings.py RPC_ANALYZE DIRECTORY [--fifo]
"""
import json, os, select, signal, subprocess, sys, termios, time, tty

binary, directory = sys.argv[1], sys.argv[2]
fifo = "--fifo" in sys.argv
link, capture = os.path.join(directory, "tty"), os.path.join(directory, "tap.pcapng")
if fifo:
    device = os.path.join(directory, "device.fifo")
    if os.path.exists(device):
        os.remove(device)
    os.mkfifo(device)
else:
    master, slave = os.openpty()
    tty.setraw(slave)
    device = os.ttyname(slave)
recorder = subprocess.Popen([binary, "record", "--tap-serial", device, "--pty", link, "--baud", "115200", "-w", capture],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
deadline = time.monotonic() + 20
while not os.path.islink(link) and time.monotonic() < deadline:
    time.sleep(0.02)
router = os.open(link, os.O_RDWR | os.O_NOCTTY)
attributes = termios.tcgetattr(router)
attributes[4] = attributes[5] = termios.B57600
# (Parity too would be the test's wish, but Linux keeps a pty at 8 bits without parity.)
termios.tcsetattr(router, termios.TCSANOW, attributes)
request = bytes([0x94, 0x00, 0x01, 0xA3]) + b"add" + bytes([0x92, 0x01, 0x02])
os.write(router, request)
result = {}
if not fifo:
    got = b""
    while len(got) < len(request) and select.select([master], [], [], 5)[0]:
        got += os.read(master, 64)
    result["arrived"] = got.hex()
    device_attributes = termios.tcgetattr(slave)
    result["device_speed"] = device_attributes[5]
    result["b57600"] = termios.B57600
    os.write(master, bytes([0x94, 0x01, 0x01, 0xC0, 0x03]))
    answer = b""
    while len(answer) < 5 and select.select([router], [], [], 5)[0]:
        answer += os.read(router, 64)
    result["answer"] = answer.hex()
time.sleep(0.3)
recorder.send_signal(signal.SIGINT)
_, errors = recorder.communicate(timeout=20)
result["exit"] = recorder.returncode
result["said"] = errors.decode()
result["link_left"] = os.path.lexists(link)
print(json.dumps(result), flush=True)
