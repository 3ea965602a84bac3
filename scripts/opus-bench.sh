#!/usr/bin/env bash
# The handset's voice path on an emulated Cortex-M7: builds the bench image
# (firmware/opus-bench), runs it under QEMU's mps2-an500 with -icount
# shift=0 (instructions, not cycles), prints its tables (Opus encode by
# complexity; encode, seal, open, decode and concealment per 20 ms frame;
# the codec's stack peak) and keeps what it coded in OUT:
#
#   bench.txt            everything the image printed
#   packets.bin          the packets, 80 bytes each, back to back
#   mcu-decoded.wav      the image's own decode, aligned to the input
#   reference.wav        the input (crates/audio/testdata/natural-allison-16k.wav)
#
# then scores PESQ-WB of mcu-decoded.wav against the input with
# crates/audio/scripts/score.py, if the audio venv is there
# (scripts/setup-audio-venv.sh; $SUSURRO_AUDIO_VENV or
# /tmp/susurro-audio-venv). The desktop's side (its float libopus decoding
# these packets, and coding the same speech itself) is
#   cargo run -p susurro-audio --example mcu_opus_pesq -- OUT   (run below when the venv is there)
#
# Not part of scripts/test.sh. Needs qemu-system-arm, gcc-arm-none-eabi,
# libnewlib-arm-none-eabi, cmake (scripts/test.sh installs them).
#
# Usage: bash scripts/opus-bench.sh [OUT]        (default /tmp/susurro-opus-bench)
#        COMPLEXITY=N bash scripts/opus-bench.sh  encoder complexity of the
#             main table and of the coded speech (default: the desktop's, 10)
#        VECTOR=1 bash scripts/opus-bench.sh      also rewrite the desktop's
#             test vector, crates/audio/testdata/mcu-opus-packets.hex (the
#             first 50 packets, at the default complexity only)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-/tmp/susurro-opus-bench}"
mkdir -p "$OUT"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
VENV="${SUSURRO_AUDIO_VENV:-/tmp/susurro-audio-venv}"

if [ -n "${COMPLEXITY:-}" ]; then
    export SUSURRO_OPUS_BENCH_COMPLEXITY="$COMPLEXITY"
fi
(cd firmware && cargo build --release -p susurro-opus-bench)
ELF=firmware/target/thumbv7em-none-eabihf/release/susurro-opus-bench
if command -v llvm-size >/dev/null; then
    llvm-size "$ELF"
fi

timeout 1800 qemu-system-arm -M mps2-an500 -nographic \
    -semihosting-config enable=on,target=native -icount shift=0 \
    -kernel "$ELF" >"$OUT/bench.txt"
grep -v '^[PD] ' "$OUT/bench.txt"

python3 - "$OUT" "${VECTOR:-0}" "${COMPLEXITY:-}" <<'EOF'
import re, sys, wave
out, vector, complexity = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
text = open(f"{out}/bench.txt").read()
lookahead = int(re.search(r"lookahead (\d+) samples", text).group(1))
packets = [bytes.fromhex(l[2:]) for l in text.splitlines() if l.startswith("P ")]
decoded = b"".join(bytes.fromhex(l[2:]) for l in text.splitlines() if l.startswith("D "))
assert packets and all(len(p) == 80 for p in packets), "packets of 80 bytes"
open(f"{out}/packets.bin", "wb").write(b"".join(packets))
src = wave.open("crates/audio/testdata/natural-allison-16k.wav")
ref = src.readframes(len(packets) * 320)
def write(path, pcm):
    w = wave.open(path, "wb")
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000)
    w.writeframes(pcm); w.close()
write(f"{out}/reference.wav", ref)
# The decoder's output lags the input by the encoder's lookahead.
write(f"{out}/mcu-decoded.wav", decoded[2 * lookahead:] + bytes(2 * lookahead))
print(f"{len(packets)} packets, lookahead {lookahead}: {out}/packets.bin, mcu-decoded.wav, reference.wav")
if vector:
    if complexity not in ("", "10"):
        raise SystemExit("VECTOR=1 needs the default complexity")
    path = "crates/audio/testdata/mcu-opus-packets.hex"
    with open(path, "w") as f:
        f.write("".join(p.hex() + "\n" for p in packets[:50]))
    print(f"wrote {path}")
EOF

if [ -x "$VENV/bin/python" ]; then
    printf 'PESQ-WB, MCU encoder and decoder: '
    "$VENV/bin/python" crates/audio/scripts/score.py --wb-only "$OUT/reference.wav" "$OUT/mcu-decoded.wav"
    # The desktop's side: its decoder on these packets, and its own coding.
    SUSURRO_AUDIO_VENV="$VENV" cargo run -q -p susurro-audio --example mcu_opus_pesq -- "$OUT"
else
    echo "no audio venv at $VENV (bash scripts/setup-audio-venv.sh $VENV): PESQ skipped"
fi
