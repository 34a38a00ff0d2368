#!/usr/bin/env bash
# What recording costs on a Cortex-M33, measured rather than guessed: examples/an521/cost.c
# under QEMU with -icount shift=0 (one instruction per virtual nanosecond, so the 20 MHz counter
# counts 50 instructions a tick), 2,000 records of each kind, the bare loop subtracted; then the
# recorder's code size for each port (arm-none-eabi-size).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
make -s -C examples/an521 OUT="$out/fw" "$out/fw/cost.elf"
timeout 60 qemu-system-arm -M mps2-an521 -display none -monitor none \
  -semihosting-config enable=on,target=native -icount shift=0,align=off,sleep=off \
  -serial "file:$out/cost.txt" -serial null -kernel "$out/fw/cost.elf"
echo "instructions per record, Cortex-M33 (QEMU mps2-an521, -icount shift=0):"
sed 's/^/  /' "$out/cost.txt"
make -s -C recorder arm OUT="$out/lib"
for port in an521 rp2040 stm32h747; do
  echo "code bytes, $port (text of each object, -Os):"
  grep -v filename "$out/lib/$port/size.txt" | awk '{ n = split($6, p, "/"); printf "  %-24s %5d\n", p[n], $1 }'
done
