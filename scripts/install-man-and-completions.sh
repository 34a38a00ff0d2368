#!/usr/bin/env bash
# Installs rpc-analyze's manual page and its bash, zsh and fish completions for the current user
# (PREFIX, default ~/.local). The manual comes from swift-argument-parser's generate-manual
# plugin, written from the same help text as `rpc-analyze --help`; the completions from
# `rpc-analyze --generate-completion-script`.
#   scripts/install-man-and-completions.sh            # then: man rpc-analyze
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${PREFIX:-$HOME/.local}"
swift build -q --product rpc-analyze
tool="$(swift build --show-bin-path)/rpc-analyze"
swift package plugin --allow-writing-to-package-directory generate-manual --configuration debug >/dev/null
mkdir -p "$prefix/share/man/man1" "$prefix/share/bash-completion/completions" \
  "$prefix/share/zsh/site-functions" "$prefix/share/fish/vendor_completions.d"
cp .build/plugins/GenerateManual/outputs/rpc-analyze/rpc-analyze.1 "$prefix/share/man/man1/rpc-analyze.1"
"$tool" --generate-completion-script bash >"$prefix/share/bash-completion/completions/rpc-analyze"
"$tool" --generate-completion-script zsh >"$prefix/share/zsh/site-functions/_rpc-analyze"
"$tool" --generate-completion-script fish >"$prefix/share/fish/vendor_completions.d/rpc-analyze.fish"
echo "installed under $prefix: share/man/man1/rpc-analyze.1 and the bash, zsh and fish completions"
echo "(man finds it when $prefix/share/man is on MANPATH or $prefix/bin is on PATH)"
