#!/usr/bin/env bash
# Tests: set up .venv if needed, then run the test suite. Exits non-zero on any failure and
# when no tests are collected (pytest exit code 5). Extra args go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup_env.sh
status=0
"$VENV/bin/python" -m pytest -q "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "error: no tests were collected" >&2
fi
exit "$status"
