#!/bin/bash
# Builds the real arduino-router (github.com/arduino/arduino-router) for the tap's live tests, outside
# the repository: into ${ARDUINO_ROUTER_CACHE:-/work/cache/arduino-router}, where
# Tests/EndToEndTests/UnoQStack.swift looks for it (RPC_ANALYZE_ARDUINO_ROUTER names another).
# GOPATH mode, for machines that reach no Go module proxy: the router's source and go.bug.st/serial,
# djherbis/buffer and djherbis/nio from git mirrors (MIRRORS, one bare repository per owner+name,
# as the fetch tool leaves them), the rest from Debian's golang-*-dev packages. With a module proxy,
# `go build` in a clone of the router is all it takes.
set -e
C=${ARDUINO_ROUTER_CACHE:-/work/cache/arduino-router}; G=$C/gopath; M=${MIRRORS:-/work/.mirror}
sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq golang-github-spf13-cobra-dev golang-github-vmihailenco-msgpack.v5-dev \
  golang-github-creack-goselect-dev golang-golang-x-sys-dev golang-github-vmihailenco-tagparser.v2-dev >/dev/null
rm -rf $G; mkdir -p $G/src
put() { mkdir -p $G/src/$2; git --git-dir=$M/$1/repo archive HEAD | tar -x -C $G/src/$2; }
put arduino+arduino-router github.com/arduino/arduino-router
put bugst+go-serial go.bug.st/serial
put djherbis+buffer github.com/djherbis/buffer
put djherbis+nio github.com/djherbis/nio/v3
mkdir -p $G/src/go.bug.st/f
# go.bug.st/f is not mirrored here: the router uses only f.Assert, written here as a stand-in.
cat > $G/src/go.bug.st/f/f.go <<'GO'
package f

func Assert(condition bool, message string) {
	if !condition {
		panic(message)
	}
}
GO
cd $G/src/github.com/arduino/arduino-router
GO111MODULE=off GOPATH=$G:/usr/share/gocode GOFLAGS= go build -ldflags "-X main.Version=$(git --git-dir=$M/arduino+arduino-router/repo rev-parse --short HEAD)-gopath" -o $C/arduino-router .
echo "built $C/arduino-router"
