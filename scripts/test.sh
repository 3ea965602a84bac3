#!/usr/bin/env bash
# Susurro's whole test suite, from a fresh Debian machine that has only
# rustup's toolchain. Installs what it needs, then runs: formatting, clippy
# (all targets, warnings are errors), the firmware's checks, host tests
# (the handset's screen snapshots among them) and images (token, emulator,
# handset), every workspace test (the firmware's QEMU tests among them),
# the Cortex-M4 (thumbv7em-none-eabihf) build of every no_std crate, and
# each fuzz target for FUZZ_SECONDS (default 15).
#
# Usage: bash scripts/test.sh          (as root, or with sudo available)
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS="${FUZZ_SECONDS:-15}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
step() { printf '\n==> %s\n' "$*"; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

step "system packages"
packages=(socat pkg-config)
# The transport box's package test: dpkg (and dpkg-deb) to unpack it into a
# fresh root, systemd's systemd-analyze to verify and rate its unit.
packages+=(dpkg-dev systemd)
# A private Tor network for the onion-service tests (started by the tests,
# on 127.0.0.1 only; the package starts no daemon without an init system).
packages+=(tor)
# The desktop GUI: X11/GL to build and run it, Xvfb for the window test,
# Mesa's lavapipe for headless snapshot rendering.
packages+=(libxkbcommon-dev libxkbcommon-x11-0 libx11-dev libxcursor-dev libxrandr-dev
    libxi-dev libgl1-mesa-dev mesa-vulkan-drivers xvfb xauth)
# The GUI's screen-reader test: a private D-Bus session, the AT-SPI bus, libatspi for Python.
packages+=(dbus-daemon at-spi2-core python3-gi gir1.2-atspi-2.0)
mapfile -t audio < <(grep -v '^\s*#' scripts/packages-audio.txt | grep -v '^\s*$')
packages+=("${audio[@]}")
# The handset's Opus (firmware/opus): libopus cross-compiled by CMake
# (cmake is in the audio list) with arm-none-eabi-gcc and newlib's headers,
# libm and libc.
packages+=(gcc-arm-none-eabi libnewlib-arm-none-eabi)
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${packages[@]}" >/dev/null
# The firmware's emulator (without the GUI and gstreamer it recommends).
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends qemu-system-arm >/dev/null

step "Rust toolchain pieces"
rustup component add rustfmt clippy >/dev/null
rustup target add thumbv7em-none-eabihf >/dev/null
if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal || true
fi
if rustup toolchain list | grep -q '^nightly'; then
    FUZZ_TOOLCHAIN=(+nightly)
else
    # cargo-fuzz needs nightly flags; a stable compiler accepts them with this.
    echo "no nightly toolchain: fuzzing with RUSTC_BOOTSTRAP=1 on stable"
    export RUSTC_BOOTSTRAP=1
    FUZZ_TOOLCHAIN=()
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
command -v cargo-deny >/dev/null || cargo install cargo-deny --locked
# The box's Debian package (apps/box; its test packs the test build).
command -v cargo-deb >/dev/null || cargo install cargo-deb --locked --version 3.8.0

step "cargo fmt --check"
cargo fmt --all -- --check
(cd fuzz && cargo fmt -- --check)

step "cargo deny check licenses bans sources (deny.toml)"
# Advisories are not checked here: that needs the RustSec database from
# GitHub, which this machine's network does not reach (only the package
# registries); run `cargo deny check advisories` where it does.
cargo deny --log-level error check licenses bans sources

step "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "firmware: checks, host tests and images (scripts/firmware-test.sh --images)"
bash scripts/firmware-test.sh --images
FW_EMU="$PWD/firmware/target/thumbv7em-none-eabihf/release/susurro-emu"
FW_HANDSET="$PWD/firmware/target/thumbv7em-none-eabihf/release/susurro-handset-emu"

step "cargo test --workspace"
# The GUI's window and screen-reader tests must not pass without Xvfb and
# AT-SPI here, nor the GUI's Tor test without tor (all installed above),
# nor the firmware's QEMU tests (the storage suite against the emulated
# token, a whole call with it as Alice's storage, and a whole call with the
# emulated handset through the box) without the images built just above.
# They run in this one cargo invocation so the workspace is compiled once.
SUSURRO_REQUIRE_XVFB=1 SUSURRO_REQUIRE_TOR=1 \
    SUSURRO_FW_EMU="$FW_EMU" SUSURRO_FW_HANDSET="$FW_HANDSET" SUSURRO_REQUIRE_FW_EMU=1 \
    cargo test --workspace

step "no_std build for thumbv7em-none-eabihf"
# One invocation: the five share their dependencies and none has a
# feature the others would change (all build with their defaults).
cargo build --release --target thumbv7em-none-eabihf \
    -p susurro-wire -p susurro-crypto -p susurro-cryptor -p susurro-storage -p susurro-ui

step "fuzz targets, ${FUZZ_SECONDS}s each, two at a time (libFuzzer runs on one core)"
targets=$(cd fuzz && cargo "${FUZZ_TOOLCHAIN[@]}" fuzz list)
(cd fuzz && cargo "${FUZZ_TOOLCHAIN[@]}" fuzz build)
fuzz_logs=$(mktemp -d)
fuzz_one() {
    local t=$1
    mkdir -p "fuzz/corpus/$t"
    (cd fuzz && cargo "${FUZZ_TOOLCHAIN[@]}" fuzz run "$t" -- \
        -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -print_final_stats=1 \
        >"$fuzz_logs/$t.log" 2>&1) || true
}
export -f fuzz_one
export FUZZ_SECONDS fuzz_logs
export FUZZ_TOOLCHAIN_ARG="${FUZZ_TOOLCHAIN[*]:-}"
# shellcheck disable=SC2016
printf '%s\n' $targets | xargs -P 2 -I{} bash -c 'FUZZ_TOOLCHAIN=($FUZZ_TOOLCHAIN_ARG); fuzz_one "$1"' _ {}
for t in $targets; do
    echo "  $t"
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==|SUMMARY|Done)' "$fuzz_logs/$t.log" || true
    if ls "fuzz/artifacts/$t"/crash-* >/dev/null 2>&1; then
        echo "fuzz target $t found a crash: fuzz/artifacts/$t" >&2
        tail -40 "$fuzz_logs/$t.log" >&2
        exit 1
    fi
done
rm -rf "$fuzz_logs"

step "all checks passed"
