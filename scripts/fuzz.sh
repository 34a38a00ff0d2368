#!/usr/bin/env bash
# Coverage-guided fuzzing of the MessagePack kernels (framer, reader, decoder) with libFuzzer and
# AddressSanitizer. Not part of the tests: run it after changing those kernels.
#   scripts/fuzz.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
mkdir -p "$out/src" "$out/corpus"
# One module for the fuzzer: the sources without their imports of each other.
for f in Sources/AnalysisCore/*.swift Sources/MessagePack/*.swift Sources/MessagePack/Wire/*.swift Sources/MessagePack/Framing/*.swift Fuzz/*.swift; do
  sed '/^import AnalysisCore$/d' "$f" > "$out/src/$(basename "$f")"
done
swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name Fuzz "$out"/src/*.swift -o "$out/fuzz-frames"
for f in Captures/*.pcap; do cp "$f" "$out/corpus/"; done
"$out/fuzz-frames" -max_total_time="${1:-60}" -max_len=4096 "$out/corpus"
