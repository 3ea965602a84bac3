#!/usr/bin/env bash
# Builds the transport box's Debian packages with cargo-deb:
#   susurro-box_<version>-1_amd64.deb  (native)
#   susurro-box_<version>-1_arm64.deb  (cross-built for Raspberry Pi OS
#                                       64-bit, Pi 3/4/5 and Zero 2 W)
# into target/debian/ (under $CARGO_TARGET_DIR if set). Installs what it
# needs first: cargo-deb, the aarch64 Rust target, Debian's aarch64 cross
# compiler and the arm64 SQLite library arti links (multiarch).
#
# The arm64 build compiles arti from scratch for another target: expect
# 15 minutes or more on two cores.
#
# Usage: bash scripts/box-deb.sh [--amd64-only|--arm64-only]
set -euo pipefail
cd "$(dirname "$0")/.."

want_amd64=1
want_arm64=1
case "${1:-}" in
    --amd64-only) want_arm64=0 ;;
    --arm64-only) want_amd64=0 ;;
    "") ;;
    *) echo "usage: $0 [--amd64-only|--arm64-only]" >&2; exit 2 ;;
esac

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
out="$target_dir/debian"
mkdir -p "$out"

command -v cargo-deb >/dev/null || cargo install cargo-deb --locked

if [ "$want_amd64" = 1 ]; then
    echo "==> amd64"
    cargo deb -p susurro-box --output "$out"
fi

if [ "$want_arm64" = 1 ]; then
    echo "==> arm64 (cross build)"
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        $SUDO dpkg --add-architecture arm64
    fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
        gcc-aarch64-linux-gnu libc6-dev-arm64-cross libsqlite3-dev:arm64 dpkg-dev >/dev/null
    rustup target add aarch64-unknown-linux-gnu >/dev/null
    export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
    export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
    export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
    # libsqlite3-sys finds the arm64 library through pkg-config.
    export PKG_CONFIG_ALLOW_CROSS=1
    export PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig
    cargo deb -p susurro-box --target aarch64-unknown-linux-gnu --output "$out"
fi

ls -l "$out"/susurro-box_*.deb
