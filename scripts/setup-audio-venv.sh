#!/usr/bin/env bash
# Create (idempotently) the Python venv used by the audio crate's voice-quality
# harness to score PESQ and STOI.
# Usage: scripts/setup-audio-venv.sh VENV_DIR
set -euo pipefail
venv="${1:?usage: $0 VENV_DIR}"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import pesq, pystoi, numpy, scipy' 2>/dev/null; then
    echo "audio venv ready: $venv"
    exit 0
fi
command -v python3 >/dev/null || { echo "python3 is required (apt-get install -y python3 python3-venv)" >&2; exit 2; }
python3 -m venv "$venv"
"$venv/bin/pip" install --disable-pip-version-check -q pesq pystoi numpy scipy
"$venv/bin/python" -c 'import pesq, pystoi, numpy, scipy'
echo "audio venv ready: $venv"
