#!/usr/bin/env python3
"""Score degraded speech against references with PESQ (WB and NB) and STOI.

Usage: score.py REF1.wav DEG1.wav [REF2.wav DEG2.wav ...]
Both files of a pair must be mono 16 kHz WAV and time-aligned (STOI needs
alignment; PESQ aligns by itself). PESQ-WB (P.862.2) is computed at 16 kHz;
PESQ-NB (P.862) at 8 kHz, both files converted with a long polyphase filter.
Prints one line per pair:
    pesq_wb pesq_nb stoi
with "nan" for a score that could not be computed (and the reason on stderr).
Needs: pesq, pystoi, numpy, scipy (see scripts/setup-audio-venv.sh).
"""
import sys

import numpy as np
from pesq import pesq
from pystoi import stoi
from scipy.io import wavfile
from scipy.signal import resample_poly


def load(path):
    rate, x = wavfile.read(path)
    if x.ndim != 1:
        raise SystemExit(f"{path}: not mono")
    if rate != 16000:
        raise SystemExit(f"{path}: {rate} Hz, expected 16000 Hz")
    if x.dtype == np.int16:
        x = x.astype(np.float64) / 32768.0
    else:
        x = x.astype(np.float64)
    return x


def safe(fn, what):
    try:
        return float(fn())
    except Exception as e:  # noqa: BLE001 - report and go on
        print(f"score.py: {what}: {e}", file=sys.stderr)
        return float("nan")


def main(argv):
    if len(argv) < 2 or len(argv) % 2:
        raise SystemExit(__doc__)
    for ref_p, deg_p in zip(argv[0::2], argv[1::2]):
        ref, deg = load(ref_p), load(deg_p)
        n = min(len(ref), len(deg))
        ref, deg = ref[:n], deg[:n]
        wb = safe(lambda: pesq(16000, ref, deg, "wb"), f"PESQ-WB {deg_p}")
        ref8, deg8 = resample_poly(ref, 1, 2), resample_poly(deg, 1, 2)
        nb = safe(lambda: pesq(8000, ref8, deg8, "nb"), f"PESQ-NB {deg_p}")
        st = safe(lambda: stoi(ref, deg, 16000, extended=False), f"STOI {deg_p}")
        print(f"{wb:.3f} {nb:.3f} {st:.4f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
