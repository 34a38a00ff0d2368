#!/usr/bin/env bash
# Builds the example firmware for QEMU's mps2-an521 (two Cortex-M33), runs each variant in QEMU
# (deterministic: -icount, with a timeout) and records the recorder's stream from UART1 through
# `rpc-analyze record --serial` on a FIFO, as it would read a serial port:
#   OUTDIR/planted.pcapng  both cores print to UART0 without the agreed lock
#   OUTDIR/fixed.pcapng    the same under spinlock 1
#   OUTDIR/tiny.pcapng     rings of 256 bytes drained only at the end: records are lost
#   OUTDIR/an521.yaml      the board they are analysed with
#   OUTDIR/<variant>-console.txt  what UART0 printed (the last line: records the recorder dropped)
# Needs qemu-system-arm and gcc-arm-none-eabi (scripts/install-deps.sh).
# RPC_ANALYZE may name the rpc-analyze to use; by default the debug build, built if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: scripts/an521-demo.sh OUTDIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
for tool in qemu-system-arm arm-none-eabi-gcc; do
  command -v "$tool" >/dev/null || { echo "an521-demo: $tool is missing (scripts/install-deps.sh)" >&2; exit 2; }
done
if [ -z "${RPC_ANALYZE:-}" ]; then
  [ -x .build/debug/rpc-analyze ] || swift build --product rpc-analyze >/dev/null
  RPC_ANALYZE="$PWD/.build/debug/rpc-analyze"
fi
make -s -C examples/an521 OUT="$out/build"
cp examples/an521/an521.yaml "$out/an521.yaml"
for variant in planted fixed tiny; do
  fifo="$out/$variant-uart1.fifo"
  rm -f "$fifo"
  mkfifo "$fifo"
  "$RPC_ANALYZE" record --serial "$fifo" -w "$out/$variant.pcapng" > "$out/$variant-record.txt" 2>&1 &
  recorder=$!
  status=0
  timeout 120 qemu-system-arm -M mps2-an521 -display none -monitor none \
    -semihosting-config enable=on,target=native -icount shift=4,align=off,sleep=off \
    -serial "file:$out/$variant-console.txt" -serial "file:$fifo" \
    -kernel "$out/build/$variant.elf" || status=$?
  wait "$recorder" || { echo "an521-demo: recording $variant failed:" >&2; cat "$out/$variant-record.txt" >&2; exit 1; }
  rm -f "$fifo"
  if [ "$status" -ne 0 ]; then
    echo "an521-demo: the $variant firmware ended with $status (124: timed out)" >&2
    exit 1
  fi
  echo "$variant: $(grep '^recorded' "$out/$variant-record.txt" || true)"
done
