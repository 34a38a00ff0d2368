#!/usr/bin/env bash
# Installs what rpc-analyze needs beyond the Swift toolchain: libpcap's headers and pkg-config.
# Does nothing when they are there already.
set -euo pipefail
if pkg-config --exists libpcap 2>/dev/null; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq libpcap-dev pkg-config >/dev/null
echo "installed libpcap-dev and pkg-config"
