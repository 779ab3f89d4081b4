"""Wall time of the whole test suite, per file, for several git revisions in one run.

Each revision is checked out in a temporary git worktree and its suite is run the way CI runs it
(``bash scripts/test.sh``: two pytest-xdist workers, whole files per worker) with a cold JAX
compilation cache of its own, using this checkout's ``.venv`` and the revision's own ``src`` (on
``PYTHONPATH``). The revisions run one after the other on the same machine, so their times are
comparable; the table is in seconds of pytest's own timing (setup + call + teardown per file,
summed over the file's tests) and the suite's wall time.

    .venv/bin/python benchmarks/test_suite_time.py d5eee74 HEAD
    .venv/bin/python benchmarks/test_suite_time.py --markdown benchmarks/results/test_suite_cpu.csv
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DURATION = re.compile(r"^([0-9.]+)s (?:call|setup|teardown)\s+(\S+?)::")
SUMMARY = re.compile(r"(\d+) passed.* in ([0-9.]+)s")
WALL = "(suite wall time, pytest)"


def parse(log: str) -> tuple[dict[str, float], int, float]:
    """(seconds per test file, tests passed, pytest's wall seconds) from a --durations=0 log."""
    per_file: dict[str, float] = {}
    for line in log.splitlines():
        m = DURATION.match(line)
        if m:
            per_file[m.group(2)] = per_file.get(m.group(2), 0.0) + float(m.group(1))
    summary = SUMMARY.findall(log)
    if not summary:
        raise RuntimeError(f"no pytest summary line in the log:\n{log[-2000:]}")
    passed, wall = summary[-1]
    return per_file, int(passed), float(wall)


def run_revision(revision: str, workers: int) -> pd.DataFrame:
    sha = subprocess.run(["git", "rev-parse", "--short", revision], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="suite-time-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), sha], cwd=ROOT,
                       check=True, capture_output=True)
        try:
            env = dict(os.environ, VENV=str(ROOT / ".venv"), METAGRAD_TEST_WORKERS=str(workers),
                       JAX_COMPILATION_CACHE_DIR=str(Path(tmp) / "jax_cache"),
                       PYTHONPATH=os.pathsep.join(filter(None, [str(tree / "src"),
                                                                 os.environ.get("PYTHONPATH")])))
            print(f"[{time.strftime('%H:%M:%S')}] {revision} ({sha}): running the suite cold",
                  file=sys.stderr, flush=True)
            start = time.monotonic()
            command = ["bash", "scripts/test.sh", "--durations=0", "-p", "no:cacheprovider"]
            res = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
            elapsed = time.monotonic() - start
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                           capture_output=True)
    if res.returncode != 0:
        raise RuntimeError(f"{revision}: the suite failed ({res.returncode}):\n"
                           f"{res.stdout[-3000:]}")
    per_file, passed, wall = parse(res.stdout)
    print(f"[{time.strftime('%H:%M:%S')}] {revision}: {passed} passed, pytest {wall:.0f} s, "
          f"command {elapsed:.0f} s", file=sys.stderr, flush=True)
    rows = [dict(file=f, seconds=round(s, 1)) for f, s in sorted(per_file.items())]
    rows.append(dict(file=WALL, seconds=wall))
    return pd.DataFrame(rows).assign(revision=revision, commit=sha, tests_passed=passed)


def markdown(table: pd.DataFrame, top: int = 15) -> str:
    order = list(dict.fromkeys(table["commit"]))
    wide = table.pivot_table(index="file", columns="commit", values="seconds", sort=False)[order]
    passed = table.groupby("commit")["tests_passed"].first()[order].rename("(tests passed)")
    files = wide.drop(index=WALL).sort_values(order[0], ascending=False)
    total = files.sum().rename("(all files, worker seconds)")
    shown = pd.concat([wide.loc[[WALL]], passed.to_frame().T, total.to_frame().T,
                       files.head(top)])
    return shown.to_markdown(floatfmt=".0f")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revisions", nargs="*", help="git revisions, e.g. an old commit and HEAD")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/test_suite_cpu.csv"))
    parser.add_argument("--markdown", metavar="CSV", help="print the table of a results file")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown(pd.read_csv(args.markdown)))
        return
    if not args.revisions:
        parser.error("name at least one revision (or --markdown CSV)")
    table = pd.concat([run_revision(r, args.workers) for r in args.revisions], ignore_index=True)
    out = Path(args.out)
    tmp = out.with_suffix(".tmp")
    table.to_csv(tmp, index=False)
    tmp.replace(out)
    print(markdown(table))


if __name__ == "__main__":
    main()
