#!/usr/bin/env bash
# Create ./.venv (if missing) and install this package with its pinned dependencies into it.
# Idempotent: the install is skipped while .venv/.metagrad-install-<hash of pyproject.toml> exists.
# Sourced by scripts/run.sh and scripts/test.sh. Environment knobs:
#   PYTHON=python3.12     interpreter used to create the venv (default: python3, must be >= 3.11)
#   METAGRAD_EXTRAS=cuda  install optional extras too (e.g. GPU jax), i.e. pip install -e ".[cuda]"
#   VENV=path             virtual environment folder (default: .venv)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
    if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
        echo "error: $PYTHON is missing or older than Python 3.11 (set PYTHON=/path/to/python3.11+)" >&2
        exit 1
    fi
    echo "[setup] creating virtual environment $VENV" >&2
    "$PYTHON" -m venv "$VENV"
fi

EXTRAS="${METAGRAD_EXTRAS:-}"
HASH="$( (cat "$ROOT/pyproject.toml"; echo "extras=$EXTRAS") | "$VENV/bin/python" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:16])')"
STAMP="$VENV/.metagrad-install-$HASH"

if [ ! -f "$STAMP" ]; then
    SPEC="$ROOT"
    [ -n "$EXTRAS" ] && SPEC="$ROOT[$EXTRAS]"
    echo "[setup] installing metagrad and pinned dependencies into $VENV" >&2
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q --upgrade "pip>=23.1"
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q -e "$SPEC"
    rm -f "$VENV"/.metagrad-install-*
    touch "$STAMP"
fi

export PATH="$VENV/bin:$PATH"
export MPLBACKEND="${MPLBACKEND:-Agg}"
