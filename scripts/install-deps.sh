#!/usr/bin/env bash
# Installs what rpc-analyze and its tests need beyond the Swift toolchain: libpcap's headers
# and pkg-config (to build), and Python's msgpack (the live tests' MessagePack-RPC peer).
# Does nothing for what is there already.
set -euo pipefail
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
if ! pkg-config --exists libpcap 2>/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq libpcap-dev pkg-config >/dev/null
  echo "installed libpcap-dev and pkg-config"
fi
if ! python3 -c "import msgpack" 2>/dev/null; then
  python3 -m pip install -q msgpack 2>/dev/null || {
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y -qq python3-msgpack >/dev/null
  }
  echo "installed Python's msgpack"
fi
