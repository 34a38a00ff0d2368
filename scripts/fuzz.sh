#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer and AddressSanitizer, outside the test suite.
#   scripts/fuzz.sh [seconds]            both targets, [seconds] each (default 60)
#   scripts/fuzz.sh [seconds] frames     only the MessagePack kernels (framer, reader, decoder)
#   scripts/fuzz.sh [seconds] readers    only the readers: whole captures (libpcap, the own pcapng
#                                        reader from a file and a pipe), link layers, IP, TCP, UDP,
#                                        usbmon, NuttX, the v1 record, trace events, the C
#                                        recorder's drained stream
# CI runs it for a short time; run it longer after changing a reader or kernel. A crash leaves
# its input in the working folder: `swift run FuzzReaders crash-…` replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
which="${2:-all}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

if [ "$which" = all ] || [ "$which" = frames ]; then
  mkdir -p "$out/src" "$out/frames"
  # One module for the kernels: their sources without their imports of each other.
  for f in Sources/AnalysisCore/*.swift Sources/MessagePack/*.swift Sources/MessagePack/Wire/*.swift \
           Sources/MessagePack/Framing/*.swift Fuzz/*.swift; do
    sed '/^import AnalysisCore$/d' "$f" > "$out/src/$(basename "$f")"
  done
  swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name Fuzz "$out"/src/*.swift -o "$out/fuzz-frames"
  for f in Captures/*.pcap; do cp "$f" "$out/frames/"; done
  "$out/fuzz-frames" -max_total_time="$seconds" -max_len=4096 "$out/frames"
fi

if [ "$which" = all ] || [ "$which" = readers ]; then
  # The readers through the package itself, every module instrumented.
  swift build -c release --product FuzzReaders --scratch-path .build-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING 2>&1 | tail -1
  mkdir -p "$out/readers"
  # Seeds: every bundled capture behind each target byte.
  i=0
  for f in Captures/*.pcap Captures/*.pcapng; do
    for target in 0 1 2 3 4 5 6 7 8; do
      { printf "\\x$(printf %02x $target)"; head -c 6000 "$f"; } > "$out/readers/seed-$i-$target"
    done
    i=$((i + 1))
  done
  # And a stream the C recorder drained (two threads as cores), behind its target byte.
  make -s -C recorder host OUT="$out/recorder"
  "$out/recorder/host_cores" 20 65536 5 2>/dev/null | { printf '\x07'; head -c 5999; } > "$out/readers/seed-recorder"
  .build-fuzz/release/FuzzReaders -max_total_time="$seconds" -max_len=6000 -rss_limit_mb=2048 "$out/readers"
fi
