#!/usr/bin/env python
"""Old and new throughput side by side, measured in ONE run on the same machine.

Checks out ``--base`` (a git revision) into a temporary worktree, then runs each revision's own
``benchmarks/run_benchmarks.py`` on the same rows (estimators x L x batch of samples),
alternating base / head ``--rounds`` times so both see the same machine load, and keeps each
row's best median. Writes a CSV with both rates and their ratio, and prints a Markdown table.

    .venv/bin/python benchmarks/compare_revisions.py --base 625988b
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEY = ("estimator", "mode", "lifetime_length", "batch_of_samples", "action_sampler")


def run_benchmark(checkout: Path, out: Path, args) -> list[dict]:
    env = dict(os.environ, PYTHONPATH=str(checkout / "src"))
    command = [sys.executable, str(checkout / "benchmarks" / "run_benchmarks.py"),
               "--lengths", *map(str, args.lengths), "--batch-sizes", *map(str, args.batch_sizes),
               "--other-length-batch-sizes", *map(str, args.batch_sizes),
               "--scaling-lengths", "--no-compare-samplers", "--repeats", str(args.repeats),
               "--estimators", *args.estimators, "--out", str(out)]
    subprocess.run(command, cwd=checkout, env=env, check=True, stdout=subprocess.DEVNULL)
    with open(out, newline="") as f:
        return list(csv.DictReader(f))


def best(rows_by_round: list[list[dict]]) -> dict:
    out = {}
    for rows in rows_by_round:
        for row in rows:
            key = tuple(row[k] for k in KEY)
            rate = float(row["samples_per_second"])
            if key not in out or rate > float(out[key]["samples_per_second"]):
                out[key] = row
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="git revision of the old numbers")
    parser.add_argument("--estimators", nargs="+",
                        default=["mg_c1", "mg_c1_reverse", "dice", "es", "fd", "frontier"])
    parser.add_argument("--lengths", type=int, nargs="+", default=[80])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1024])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path,
                        default=ROOT / "benchmarks" / "results" / "compare_revisions_cpu.csv")
    args = parser.parse_args(argv)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        base_dir = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(base_dir), args.base],
                       cwd=ROOT, check=True, capture_output=True)
        try:
            rounds = {"base": [], "head": []}
            for r in range(args.rounds):
                for name, checkout in (("base", base_dir), ("head", ROOT)):
                    print(f"[compare] round {r + 1}/{args.rounds}: {name}", file=sys.stderr)
                    rounds[name].append(run_benchmark(checkout, Path(tmp) / f"{name}{r}.csv", args))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base_dir)], cwd=ROOT,
                           check=False, capture_output=True)
    old, new = best(rounds["base"]), best(rounds["head"])
    rows = []
    for key in sorted(set(old) & set(new)):
        a, b = float(old[key]["samples_per_second"]), float(new[key]["samples_per_second"])
        rows.append({**dict(zip(KEY, key)), "base": args.base, "head": head,
                     "base_samples_per_second": round(a, 1), "head_samples_per_second": round(b, 1),
                     "head_over_base": round(b / a, 3),
                     "base_compile_seconds": old[key]["compile_seconds"],
                     "head_compile_seconds": new[key]["compile_seconds"],
                     "device": new[key]["device"], "loadavg_1m": new[key]["loadavg_1m"]})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"| estimator | mode | L | N | {args.base} samples/s | {head} samples/s | ratio |")
    print("|---|---|--:|--:|--:|--:|--:|")
    for row in rows:
        print(f"| {row['estimator']} | {row['mode']} | {row['lifetime_length']} | "
              f"{row['batch_of_samples']} | {row['base_samples_per_second']:,} | "
              f"{row['head_samples_per_second']:,} | {row['head_over_base']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
