#!/usr/bin/env python3
"""Reference for rpc-analyze's resynchronisation, written against Python's msgpack.

Reads one direction's byte stream from a file and prints, one per line, the offset and length
of each message the rule of capture format v1 / issue 7 accepts: from the start, try the value at
each offset; accept it when it decodes whole and is an RPC message (request [0, msgid, method,
params], response [1, msgid, error, result], notification [2, method, params]; msgid an integer
0..2^32-1, method str or bin, params an array); otherwise try the next offset.
"""
import sys

import msgpack


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def is_message(value):
    if not isinstance(value, list) or len(value) not in (3, 4) or not is_int(value[0]):
        return False
    kind = value[0]
    if kind in (0, 1):
        if len(value) != 4 or not is_int(value[1]) or not 0 <= value[1] <= 0xFFFFFFFF:
            return False
        return kind == 1 or (isinstance(value[2], bytes) and isinstance(value[3], list))
    if kind == 2:
        return len(value) == 3 and isinstance(value[1], bytes) and isinstance(value[2], list)
    return False


def main():
    data = open(sys.argv[1], "rb").read()
    view = memoryview(data)
    offset = 0
    while offset < len(data):
        # Maps as lists of pairs: keys may be arrays, which a dict cannot hold.
        big = len(data) + 1
        unpacker = msgpack.Unpacker(raw=True, strict_map_key=False, object_pairs_hook=list, max_buffer_size=big,
                                    max_str_len=big, max_bin_len=big, max_array_len=big, max_map_len=big,
                                    max_ext_len=big)
        unpacker.feed(view[offset:])
        try:
            value = unpacker.unpack()
            length = unpacker.tell()
        except Exception:  # incomplete, invalid byte, bad timestamp: not a message here
            value, length = None, 0
        if length and is_message(value):
            print(offset, length)
            offset += length
        else:
            offset += 1


if __name__ == "__main__":
    main()
