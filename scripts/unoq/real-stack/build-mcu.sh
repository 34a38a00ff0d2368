#!/bin/sh
# Builds the UNO Q MCU sketch for the host against the real Arduino_RouterBridge,
# Arduino_RPClite and hideakitai/MsgPack (+ DebugLog, ArxTypeTraits, ArxContainer), whose
# sources are expected under $SRC (default /work/cache/src, see README.md). Output:
# $OUT (default /work/cache/bin/unoq-mcu-host). Nothing third-party is kept in this repository.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${SRC:-/work/cache/src}
OUT=${OUT:-/work/cache/bin/unoq-mcu-host}
mkdir -p "$(dirname "$OUT")"
nice -n 10 g++ -std=gnu++17 -O1 -g -pthread \
  -I"$HERE/host" \
  -I"$SRC/Arduino_RouterBridge/src" -I"$SRC/Arduino_RPClite/src" \
  -I"$SRC/MsgPack" -I"$SRC/DebugLog" -I"$SRC/ArxTypeTraits" -I"$SRC/ArxContainer" \
  "$HERE/sketch/unoq_sketch.cpp" "$HERE/host/host_main.cpp" -o "$OUT"
echo "built $OUT"
