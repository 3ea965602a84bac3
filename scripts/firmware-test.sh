#!/usr/bin/env bash
# The firmware (firmware/, its own Cargo workspace): format, clippy
# (thumbv7em, warnings are errors), host tests of the shared library (the
# handset's logic among them), of the handset's screens (PNG snapshots,
# touches) and of its Opus (the round trip, the MCU's packets byte for
# byte), release builds of the four images (STM32F446RE token, QEMU
# mps2-an386 token emulator, STM32F746G-DISCO handset, QEMU mps2-an500
# handset emulator), their sizes, then the token emulator under QEMU
# against the storage conformance suite (crates/conformance/tests/
# qemu_token.rs) and as Alice's storage in a whole call (apps/cli/tests/
# token_call.rs), and the handset emulator in a whole call through the box
# (apps/cli/tests/handset_call.rs). They run only with SUSURRO_FW_EMU /
# SUSURRO_FW_HANDSET set, and then a QEMU that does not work fails them.
#
# Installs nothing: needs `qemu-system-arm` (Debian package qemu-system-arm),
# the thumbv7em-none-eabihf target, and for the handset's Opus
# (firmware/opus) `arm-none-eabi-gcc` with newlib and `cmake` (Debian
# gcc-arm-none-eabi, libnewlib-arm-none-eabi, cmake); scripts/test.sh
# installs them all. The Opus bench image is only checked here (clippy),
# not built or run: scripts/opus-bench.sh does that.
#
# Usage: bash scripts/firmware-test.sh            everything, standalone
#        bash scripts/firmware-test.sh --images   stop after the release
#             builds: scripts/test.sh runs the two host-side tests inside its
#             `cargo test --workspace` (SUSURRO_FW_EMU set there), so cargo
#             resolves features once for the whole workspace instead of
#             building arti and the audio bindings a second time for
#             `-p susurro-cli` and `-p susurro-conformance` alone.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGES_ONLY=0
case "${1:-}" in
    "") ;;
    --images) IMAGES_ONLY=1 ;;
    *) echo "usage: bash scripts/firmware-test.sh [--images]" >&2; exit 2 ;;
esac

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# The firmware workspace builds in firmware/target; the host-side tests
# share the main workspace's target dir with scripts/test.sh.
FW_TARGET_DIR="${FW_TARGET_DIR:-$PWD/firmware/target}"
HOST_TARGET_DIR="${FW_HOST_TARGET_DIR:-${CARGO_TARGET_DIR:-$PWD/target}}"
HOST_TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"
step() { printf '\n==> %s\n' "$*"; }

step "checking tools"
if ! command -v qemu-system-arm >/dev/null; then
    echo "qemu-system-arm is missing (apt-get install qemu-system-arm)" >&2
    exit 1
fi
qemu-system-arm --version | head -1
for tool in arm-none-eabi-gcc cmake; do
    if ! command -v "$tool" >/dev/null; then
        echo "$tool is missing (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi cmake)" >&2
        exit 1
    fi
done
if ! rustup target list --installed | grep -qx thumbv7em-none-eabihf; then
    echo "the thumbv7em-none-eabihf target is missing (rustup target add thumbv7em-none-eabihf)" >&2
    exit 1
fi

step "firmware: cargo fmt --check"
# No --all: that would walk into the host workspace through the path dependencies.
(cd firmware && cargo fmt -- --check)

# Each image is built on its own: building both at once would unify
# cortex-m-rt's features (embassy-stm32 turns on `device`, which the
# emulator image, having no PAC, cannot link).
step "firmware: clippy -D warnings (thumbv7em-none-eabihf)"
for p in susurro-fw susurro-handset-ui susurro-fw-opus susurro-opus-bench susurro-emu susurro-token susurro-handset susurro-handset-emu; do
    (cd firmware && CARGO_TARGET_DIR="$FW_TARGET_DIR" cargo clippy --release -p "$p" -- -D warnings)
done
(cd firmware && CARGO_TARGET_DIR="$FW_TARGET_DIR" cargo clippy --release -p susurro-fw --features handset -- -D warnings)
(cd firmware && CARGO_TARGET_DIR="$FW_TARGET_DIR" \
    cargo clippy -p susurro-fw -p susurro-handset-ui -p susurro-fw-opus --features susurro-fw/handset --all-targets --target "$HOST_TRIPLE" -- -D warnings)

step "firmware: host tests (shared library, the hub; handset screens against snapshots; Opus)"
(cd firmware && CARGO_TARGET_DIR="$FW_TARGET_DIR" \
    cargo test -p susurro-fw -p susurro-handset-ui -p susurro-fw-opus --features susurro-fw/handset --target "$HOST_TRIPLE")

step "firmware: release builds"
for p in susurro-token susurro-emu susurro-handset susurro-handset-emu; do
    (cd firmware && RUSTFLAGS="-D warnings" CARGO_TARGET_DIR="$FW_TARGET_DIR" cargo build --release -p "$p")
done
OUT="$FW_TARGET_DIR/thumbv7em-none-eabihf/release"
if command -v llvm-size >/dev/null; then
    llvm-size "$OUT/susurro-token" "$OUT/susurro-emu" "$OUT/susurro-handset" "$OUT/susurro-handset-emu"
fi

if [ "$IMAGES_ONLY" = 1 ]; then
    step "firmware images built: $OUT/susurro-emu, $OUT/susurro-handset-emu (their QEMU tests run in the workspace tests)"
    exit 0
fi

step "firmware: the emulator image under QEMU (storage conformance suite)"
SUSURRO_FW_EMU="$OUT/susurro-emu" CARGO_TARGET_DIR="$HOST_TARGET_DIR" \
    timeout 900 cargo test -p susurro-conformance --test qemu_token -- --nocapture

step "firmware: a whole call with the emulated token as one side's storage"
SUSURRO_FW_EMU="$OUT/susurro-emu" CARGO_TARGET_DIR="$HOST_TARGET_DIR" \
    timeout 900 cargo test -p susurro-cli --test token_call -- --nocapture

step "firmware: a whole call with the emulated handset through the box"
SUSURRO_FW_HANDSET="$OUT/susurro-handset-emu" CARGO_TARGET_DIR="$HOST_TARGET_DIR" \
    timeout 900 cargo test -p susurro-cli --test handset_call -- --nocapture

step "firmware checks passed"
