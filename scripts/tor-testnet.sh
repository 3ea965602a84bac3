#!/usr/bin/env bash
# Runs susurro-transport's tests on a private Tor network (3 authorities and
# 4 relays from Debian's `tor`, all on 127.0.0.1, started and killed by the
# test itself). Installs Debian's `tor` (which also ships tor-gencert) when
# it is missing. Extra arguments go to the test binary.
#
#   scripts/tor-testnet.sh            # the whole Tor test, figures printed
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v tor >/dev/null || ! command -v tor-gencert >/dev/null; then
    apt-get update -qq
    # No init system here: the package does not start a tor daemon.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tor
fi
# The test network only: never a system tor talking to the public network.
if pgrep -x tor >/dev/null; then
    echo "note: a tor process is already running (not started by this script)" >&2
fi
exec cargo test -p susurro-transport --features tor,testnet --test tor -- --nocapture "$@"
