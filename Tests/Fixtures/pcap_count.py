#!/usr/bin/env python3
"""Reads a capture with libpcap itself (pcap_next_ex, through ctypes) and prints one JSON line:
{"records": n, "max_caplen": bytes, "error": libpcap's words or null}. Usage: pcap_count.py FILE"""
import ctypes
import ctypes.util
import json
import sys


class Timeval(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long)]


class PacketHeader(ctypes.Structure):
    _fields_ = [("ts", Timeval), ("caplen", ctypes.c_uint32), ("len", ctypes.c_uint32)]


def main():
    pcap = ctypes.CDLL(ctypes.util.find_library("pcap") or "libpcap.so.0.8")
    pcap.pcap_open_offline.restype = ctypes.c_void_p
    pcap.pcap_open_offline.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    pcap.pcap_next_ex.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.POINTER(PacketHeader)),
                                  ctypes.POINTER(ctypes.POINTER(ctypes.c_ubyte))]
    pcap.pcap_geterr.restype = ctypes.c_char_p
    pcap.pcap_geterr.argtypes = [ctypes.c_void_p]
    errors = ctypes.create_string_buffer(256)
    handle = pcap.pcap_open_offline(sys.argv[1].encode(), errors)
    if not handle:
        print(json.dumps({"records": 0, "max_caplen": 0, "error": errors.value.decode()}))
        return
    header = ctypes.POINTER(PacketHeader)()
    data = ctypes.POINTER(ctypes.c_ubyte)()
    records, longest, error = 0, 0, None
    while True:
        status = pcap.pcap_next_ex(handle, ctypes.byref(header), ctypes.byref(data))
        if status == 1:
            records += 1
            longest = max(longest, header.contents.caplen)
        else:
            if status == -1:
                error = pcap.pcap_geterr(handle).decode()
            break
    print(json.dumps({"records": records, "max_caplen": longest, "error": error}))


if __name__ == "__main__":
    main()
