#!/usr/bin/env python3
"""Score degraded speech against references with PESQ (WB and NB) and STOI.

Usage: score.py [--wb-only] REF1.wav DEG1.wav [REF2.wav DEG2.wav ...]
       score.py [--wb-only] --list PAIRS.txt
Batch mode (--list): PAIRS.txt holds one pair a line, the two paths
separated by a tab, so one process scores any number of pairs.
Both files of a pair must be mono 16 kHz WAV and time-aligned (STOI needs
alignment; PESQ aligns by itself). PESQ-WB (P.862.2) is computed at 16 kHz;
PESQ-NB (P.862) at 8 kHz, both files converted with a long polyphase filter.
Prints one line per pair:
    pesq_wb pesq_nb stoi
(only pesq_wb with --wb-only), with "nan" for a score that could not be
computed (and the reason on stderr).
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


def pairs_from(argv):
    if argv[:1] == ["--list"] and len(argv) == 2:
        with open(argv[1], encoding="utf-8") as f:
            lines = [line.rstrip("\n") for line in f if line.strip()]
        pairs = [tuple(line.split("\t")) for line in lines]
        if any(len(p) != 2 for p in pairs):
            raise SystemExit(f"{argv[1]}: each line must be REF<tab>DEG")
        return pairs
    if len(argv) < 2 or len(argv) % 2:
        raise SystemExit(__doc__)
    return list(zip(argv[0::2], argv[1::2]))


def main(argv):
    wb_only = argv[:1] == ["--wb-only"]
    if wb_only:
        argv = argv[1:]
    for ref_p, deg_p in pairs_from(argv):
        ref, deg = load(ref_p), load(deg_p)
        n = min(len(ref), len(deg))
        ref, deg = ref[:n], deg[:n]
        wb = safe(lambda: pesq(16000, ref, deg, "wb"), f"PESQ-WB {deg_p}")
        if wb_only:
            print(f"{wb:.3f}", flush=True)
            continue
        ref8, deg8 = resample_poly(ref, 1, 2), resample_poly(deg, 1, 2)
        nb = safe(lambda: pesq(8000, ref8, deg8, "nb"), f"PESQ-NB {deg_p}")
        st = safe(lambda: stoi(ref, deg, 16000, extended=False), f"STOI {deg_p}")
        print(f"{wb:.3f} {nb:.3f} {st:.4f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
