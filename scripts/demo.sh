#!/usr/bin/env bash
# Susurro's main job on one machine: a whole call between two fresh
# identities (README command 1). Installs the system packages it needs and
# the PESQ scorer (a Python venv from PyPI; skipped if that fails), builds
# susurro-cli in release, then runs `susurro-cli demo` with any arguments
# given here (e.g. --json, --keep DIR, --input speech.wav).
#
# Usage: bash scripts/demo.sh [demo options]     (as root, or with sudo)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

packages=(socat pkg-config)
mapfile -t audio < <(grep -v '^\s*#' scripts/packages-audio.txt | grep -v '^\s*$')
packages+=("${audio[@]}")
echo "demo: installing system packages (${#packages[@]})" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${packages[@]}" >/dev/null

venv="${SUSURRO_AUDIO_VENV:-/tmp/susurro-audio-venv}"
if ! bash scripts/setup-audio-venv.sh "$venv" >&2; then
    echo "demo: no PESQ scorer (PyPI unreachable?): the report will say n/a" >&2
fi
export SUSURRO_AUDIO_VENV="$venv"

# The demo calls over loopback TCP: build without the Tor client (which
# would add about a quarter of an hour of compiling on two cores).
echo "demo: building susurro-cli (release, direct TCP only)" >&2
cargo build --release -q -p susurro-cli --no-default-features
exec target/release/susurro-cli demo "$@"
