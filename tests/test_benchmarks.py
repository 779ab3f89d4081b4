"""Smoke test of benchmarks/run_benchmarks.py: it runs and writes a well-formed table.

No timing assertions (the machine is shared); only that every rate is positive and finite,
that the columns the README documents are there, and that forward- and reverse-mode MG agree
on the same keys (the benchmark checks this on its own outputs).
"""

from __future__ import annotations

import csv
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "run_benchmarks.py"

EXPECTED_COLUMNS = {
    "timestamp", "device", "jax_version", "estimator", "mode", "action_sampler", "lifetime_length",
    "batch_of_samples", "lifetimes_per_sample", "samples_per_second",
    "inner_steps_per_second", "compile_seconds", "xla_temp_mb", "peak_rss_mb", "loadavg_1m",
    "cpu_utilization", "speedup_samples", "max_abs_diff_vs_forward",
}
ESTIMATORS = ["mg_c1", "mg_c1_reverse", "dice", "es", "fd", "frontier"]


def test_quick_benchmark_writes_table(tmp_path):
    out = tmp_path / "bench.csv"
    command = [
        sys.executable, str(SCRIPT), "--quick", "--lengths", "10", "--batch-sizes", "4",
        "--other-length-batch-sizes", "4", "--scaling-lengths", "10",
        "--scaling-batch-size", "4", "--repeats", "1", "--estimators", *ESTIMATORS,
        "--out", str(out),
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]

    with open(out, newline="") as f:
        reader = csv.DictReader(f)
        columns = set(reader.fieldnames)
        rows = list(reader)
    assert EXPECTED_COLUMNS <= columns, EXPECTED_COLUMNS - columns
    assert len(rows) == len(ESTIMATORS)
    assert {(r["estimator"], r["mode"]) for r in rows} == {
        ("mg_c1", "forward"), ("mg_c1", "reverse"), ("dice", "forward"), ("es", "forward"),
        ("fd", "forward"), ("frontier", "forward")}

    for row in rows:
        assert int(row["lifetime_length"]) == 10 and int(row["batch_of_samples"]) == 4
        assert row["action_sampler"] == ("gumbel" if row["estimator"] == "fd" else "inverse_cdf")
        for column in ("samples_per_second", "inner_steps_per_second", "compile_seconds",
                       "xla_temp_mb", "peak_rss_mb"):
            value = float(row[column])
            assert math.isfinite(value) and value > 0, (row["estimator"], column, value)
        expected_inner = (float(row["samples_per_second"]) * int(row["lifetimes_per_sample"])
                          * 10 * int(row["inner_batch_size"]))
        assert math.isclose(float(row["inner_steps_per_second"]), expected_inner, rel_tol=1e-3)
        if row["mode"] == "reverse":
            assert float(row["max_abs_diff_vs_forward"]) < 1e-4
