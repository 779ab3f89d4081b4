#!/usr/bin/env bash
# Tests: set up .venv if needed, then run the test suite. Exits non-zero on any failure and
# when no tests are collected (pytest exit code 5). Extra args go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup_env.sh
# The report test opens the HTML report in headless Chromium. Install Debian's package when it
# is missing and we can (root + apt-get); otherwise that one test skips and says why.
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 \
        && [ "$(id -u)" = "0" ] && [ -z "${METAGRAD_NO_BROWSER:-}" ]; then
    echo "[setup] installing chromium for the report test (apt-get)" >&2
    (apt-get install -y -q chromium >/dev/null 2>&1 \
        || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1)) \
        || echo "[setup] could not install chromium; the browser test will be skipped" >&2
fi
# two worker processes (pytest-xdist), whole test files per worker: compilation, most of the
# suite's time, is single-threaded. METAGRAD_TEST_WORKERS=0 runs in one process.
WORKERS="${METAGRAD_TEST_WORKERS:-2}"
status=0
# --no-loadscope-reorder: keep tests/conftest.py's slowest-first file order (xdist otherwise
# sorts files by their number of tests, which sent the one-test SLURM and Brax end-to-end files
# last, to run alone at the end while the other worker idled)
DIST=(--dist loadfile)
[ "$WORKERS" != "0" ] && DIST+=(--no-loadscope-reorder)
"$VENV/bin/python" -m pytest -q -n "$WORKERS" "${DIST[@]}" "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "error: no tests were collected" >&2
fi
exit "$status"
