#!/usr/bin/env bash
# The transport box's arm64 build in real calls, under qemu-aarch64: builds
# the arm64 Debian package (scripts/box-deb.sh --arm64-only: a cross build
# of arti, 15 minutes or more on two cores, which is why this is not part
# of scripts/test.sh), takes the binary out of the package, checks that it
# is an aarch64 executable, and runs the box tests of the CLI
# (apps/cli/tests/transport_box.rs: the configuration checks, then a whole
# call, unplug and replug, junk on the line) with it as Bob's box,
# emulated; then the CLI's Tor test, whose last step calls through a
# Tor-mode box (the emulated one). qemu-user does not emulate the termios2
# ioctls serialport uses on Linux; the host's serial connector then opens the port with the
# POSIX termios calls (it logs that once), so the calls run there.
#
# Usage: bash scripts/box-arm64-test.sh    (as root, or with sudo)
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq qemu-user socat file >/dev/null

bash scripts/box-deb.sh --arm64-only
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
deb=$(ls -t "$target_dir"/debian/susurro-box_*_arm64.deb | head -1)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg -x "$deb" "$root"
exe="$root/usr/bin/susurro-box"
file "$exe" | tee /dev/stderr | grep -q 'ARM aarch64' || {
    echo "$exe is not an aarch64 executable" >&2
    exit 1
}
# The arm64 loader and libraries come from Debian's multiarch packages
# (libc6:arm64 and libsqlite3-0:arm64, installed by box-deb.sh).
qemu-aarch64 "$exe" --version

# The front ends (native) and the tests, with the emulated box: first its
# configuration checks and --help, then the calls.
cargo build -p susurro-cli
export SUSURRO_BOX_EXE="$exe" SUSURRO_BOX_RUNNER=qemu-aarch64
cargo test -p susurro-cli --test transport_box the_box_configuration -- --test-threads=1
cargo test -p susurro-cli --test transport_box -- --test-threads=1
echo "arm64 box under qemu-aarch64: all box tests passed"

# And in Tor mode: the CLI's Tor test on its private Tor network (Debian's
# `tor`, 127.0.0.1 only), whose last step has Bob listen through a
# Tor-mode box, here the emulated arm64 one (about 5 minutes).
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq tor >/dev/null
torlog=$(mktemp)
SUSURRO_REQUIRE_TOR=1 cargo test -p susurro-cli --test tor -- --nocapture 2>&1 | tee "$torlog"
if ! grep -q "bob's box in Tor mode: call made through it" "$torlog"; then
    rm -f "$torlog"
    echo "the Tor call through the arm64 box did not complete" >&2
    exit 1
fi
rm -f "$torlog"
echo "arm64 box under qemu-aarch64: a Tor call through it passed"
