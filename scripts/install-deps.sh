#!/usr/bin/env bash
# Installs what rpc-analyze and its tests need beyond the Swift toolchain: libpcap's headers
# and pkg-config (to build), Python's msgpack (the live tests' MessagePack-RPC peer) and
# arduino-router-bridge (the UNO Q's app side), and for the
# recorder's tests the Arm cross compiler and QEMU (two emulated Cortex-M33 cores; about 565 MB,
# newlib left out: the firmware is freestanding), and tshark for the Wireshark dissector's tests.
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
if ! python3 -c "import arduino.router_bridge" 2>/dev/null; then
  python3 -m pip install -q arduino-router-bridge 2>/dev/null || python3 -m pip install -q --break-system-packages arduino-router-bridge
  echo "installed arduino-router-bridge (the UNO Q tap's live tests: the real Python bridge as the app)"
fi
if ! command -v arm-none-eabi-gcc >/dev/null || ! command -v qemu-system-arm >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends gcc-arm-none-eabi binutils-arm-none-eabi qemu-system-arm >/dev/null
  echo "installed gcc-arm-none-eabi, binutils-arm-none-eabi and qemu-system-arm"
fi
if ! command -v tshark >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections 2>/dev/null || true
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends tshark >/dev/null
  echo "installed tshark (the dissector's tests)"
fi
if ! python3 -c "import perfetto" 2>/dev/null; then
  python3 -m pip install -q perfetto 2>/dev/null || python3 -m pip install -q --break-system-packages perfetto
  echo "installed Python's perfetto (its trace protos check --format perfetto)"
fi
if ! command -v chromedriver >/dev/null || ! command -v chromium >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
  echo "installed chromium and chromium-driver (the HTML report's tests)"
fi
if ! python3 -c "import duckdb" 2>/dev/null; then
  python3 -m pip install -q duckdb 2>/dev/null || python3 -m pip install -q --break-system-packages duckdb
  echo "installed Python's duckdb (loads --format jsonl as an engine would)"
fi
if ! python3 -c "import selenium" 2>/dev/null; then
  python3 -m pip install -q selenium 2>/dev/null || python3 -m pip install -q --break-system-packages selenium
  echo "installed Python's selenium"
fi
