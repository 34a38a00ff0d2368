#!/usr/bin/env bash
# What `record --proxy` costs a live system: C connections making N calls each (one at a time
# per connection, a 16-byte bin each way) against a fast MessagePack-RPC server
# (Tests/Fixtures/rpc_load.c), first directly and then through the recording proxy (the
# release build), with calls per second and the median and 99th percentile latency of each,
# and the proxy's peak resident memory.
#   scripts/proxy-load.sh                 50 x 1,000 and 1 x 10,000
#   scripts/proxy-load.sh 200x500 8x5000  other shapes, CONNECTIONSxCALLS
set -euo pipefail
cd "$(dirname "$0")/.."
shapes=("$@")
[ ${#shapes[@]} -gt 0 ] || shapes=(50x1000 1x10000)
binary=.build/release/rpc-analyze
[ -x "$binary" ] || swift build -c release --product rpc-analyze >&2
out=$(mktemp -d)
server=""
proxy=""
cleanup() {
  [ -n "$proxy" ] && kill -9 "$proxy" 2>/dev/null
  [ -n "$server" ] && kill -9 "$server" 2>/dev/null
  rm -rf "$out"
}
trap cleanup EXIT
cc -O2 -o "$out/rpc_load" Tests/Fixtures/rpc_load.c
# The first line a background program prints to FILE, once it has.
first_line() {
  for _ in $(seq 100); do [ -s "$1" ] && head -1 "$1" && return; sleep 0.1; done
  echo "nothing from $1" >&2
  exit 1
}
"$out/rpc_load" server 0 > "$out/server.txt" &
server=$!
# Killed at the end without a word from the shell.
disown "$server"
port=$(first_line "$out/server.txt" | awk '{print $2}')
"$binary" record --proxy 127.0.0.1:0 --to "127.0.0.1:$port" -w "$out/load.pcap" 2> "$out/proxy.txt" &
proxy=$!
proxy_port=$(first_line "$out/proxy.txt" | sed 's/listening on 127.0.0.1:\([0-9]*\),.*/\1/')
# rpc_load's "calls N seconds S calls/s R p50_ms A p99_ms B" as "R calls/s, p50 A ms, p99 B ms".
figures() { awk '{ printf "%8d calls/s  p50 %6.3f ms  p99 %6.3f ms", $6, $8, $10 }'; }
echo "connections x calls    direct                                       through the proxy (recording)"
for shape in "${shapes[@]}"; do
  connections=${shape%x*}
  calls=${shape#*x}
  direct=$("$out/rpc_load" client 127.0.0.1 "$port" "$connections" "$calls" 16 | figures)
  proxied=$("$out/rpc_load" client 127.0.0.1 "$proxy_port" "$connections" "$calls" 16 | figures)
  printf "%-22s %s   %s\n" "$connections x $calls" "$direct" "$proxied"
done
peak=$(awk '/VmHWM/ {print $2}' "/proc/$proxy/status")
kill -INT "$proxy"
wait "$proxy" || true
proxy=""
echo "proxy: peak resident memory $((peak / 1024)) MB; $(tail -1 "$out/proxy.txt")"
echo "capture: $(stat -c %s "$out/load.pcap") bytes; $("$binary" "$out/load.pcap" | grep -m1 '^Calls')"
