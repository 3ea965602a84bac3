#!/usr/bin/env bash
# Start a private, headless PulseAudio daemon with a null sink, for the audio
# crate's device tests (works as root and as a normal user; no sound card).
#
# Usage: scripts/start-pulse.sh [RUNTIME_DIR]   (default /tmp/susurro-pulse)
# Prints the server address to use as PULSE_SERVER (unix:RUNTIME_DIR/native) on
# its last line. Idempotent: if a daemon already answers on that socket it is
# reused. Stop it with: kill "$(cat RUNTIME_DIR/pid)".
set -euo pipefail

dir="${1:-/tmp/susurro-pulse}"
sock="$dir/native"
server="unix:$sock"

command -v pulseaudio >/dev/null || { echo "start-pulse: pulseaudio is not installed (apt-get install -y pulseaudio)" >&2; exit 2; }
command -v pactl >/dev/null || { echo "start-pulse: pactl is not installed (apt-get install -y pulseaudio-utils)" >&2; exit 2; }

mkdir -p "$dir/state"
chmod 700 "$dir"

if ! timeout 5 pactl -s "$server" info >/dev/null 2>&1; then
    rm -f "$sock"
    # -n: no default.pa (no hardware probing); modules are loaded explicitly.
    # Running as root prints a warning but works without --system.
    PULSE_RUNTIME_PATH="$dir" PULSE_STATE_PATH="$dir/state" HOME="$dir/state" \
    pulseaudio --daemonize=yes -n \
        --exit-idle-time=-1 \
        --use-pid-file=yes \
        --log-target="file:$dir/log" \
        -L "module-native-protocol-unix socket=$sock auth-anonymous=1" \
        -L "module-null-sink sink_name=susurro_null rate=48000 channels=1 sink_properties=device.description=SusurroNull" \
        -L "module-null-sink sink_name=susurro_null2 rate=48000 channels=2 sink_properties=device.description=SusurroNull2" \
        2>>"$dir/log" || true
    for _ in $(seq 1 100); do
        if timeout 5 pactl -s "$server" info >/dev/null 2>&1; then break; fi
        sleep 0.1
    done
    timeout 5 pactl -s "$server" info >/dev/null 2>&1 || { echo "start-pulse: daemon did not come up; log:" >&2; tail -20 "$dir/log" >&2 || true; exit 1; }
fi

timeout 5 pactl -s "$server" set-default-sink susurro_null
timeout 5 pactl -s "$server" set-default-source susurro_null.monitor
echo "$server"
