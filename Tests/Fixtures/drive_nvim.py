#!/usr/bin/env python3
"""Drives a headless neovim over TCP with pynvim, as a user's plugin would: the session behind
Captures/nvim-tcp-*.pcap. Usage: drive_nvim.py HOST PORT."""
import sys

import pynvim

host, port = sys.argv[1], int(sys.argv[2])
nvim = pynvim.attach("tcp", address=host, port=port)
nvim.command("set nocompatible")
assert nvim.eval("1 + 2") == 3
nvim.current.buffer[:] = ["servo_write(0, 64)", "servo_write(1, 90)"]
assert nvim.call("strlen", "hello") == 5
assert len(nvim.current.buffer) == 2
try:
    nvim.command("NoSuchCommand")
except pynvim.NvimError:
    pass
nvim.vars["rpc_analyze"] = {"deg": 64, "ids": [1, 2, 3]}
assert nvim.vars["rpc_analyze"]["deg"] == 64
nvim.close()
