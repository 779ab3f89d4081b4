"""Resume a frontier experiment from its existing table when a job is added to it.

A frontier table (``metagrad.experiments.frontier``) is the concatenation of independent jobs
(``job_batches``: mg, mg_rb, es, es_rb, fd, fd_check), each a list of batches whose keys depend
only on the seed, the experiment's name, the job's key index and the batch index. When a new
job is added or a job gets more batches (and the other jobs' code and config are unchanged), the
finished batches are exactly what a rerun would compute. This script writes them as the experiment's
checkpoints (the format ``experiments.common.Checkpoint`` resumes from), so the next
``snakemake`` run of the experiment computes only the new batches, then deletes the checkpoints
as usual.

``--verify`` first recomputes batch 0 of every reused job and requires it to equal the table's
bit for bit (same seed, same machine: the same numbers); any difference aborts without writing.

    python scripts/resume_frontier.py --profile default --name frontier_L80 --verify
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from metagrad.config import load_config                       # noqa: E402
from metagrad.experiments import frontier                     # noqa: E402
from metagrad.io import atomic_path                           # noqa: E402

# the pairing groups of each job's rows (a job's estimator may label rows with its own groups)
JOB_GROUPS = {"mg": ("mg",), "mg_rb": ("mg_rb", "mg_paired"), "es": ("es",), "es_rb": ("es_rb",),
              "fd": ("fd",), "fd_check": ("fd_check",)}


class _Quiet:
    def set_total(self, n):
        pass

    def update(self, n=1):
        pass


def job_batches_from_table(table: pd.DataFrame, job: str) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """The job's ``[(means [P, S, K], variances [P, S, K]), ...]`` in batch order, or None."""
    rows = table[table["pairing_group"].isin(JOB_GROUPS[job])]
    if rows.empty:
        return None
    batches = np.sort(rows["batch"].unique())
    points = rows["eta_index"].nunique()
    settings = rows["setting_id"].nunique()
    probes = int(rows["num_probes"].iloc[0])
    rows = rows.sort_values(["batch", "eta_index"], kind="stable")   # settings keep table order
    means = np.stack([rows[f"mean_{k}"].to_numpy(np.float64) for k in range(probes)], axis=-1)
    variances = np.stack([rows[f"var_{k}"].to_numpy(np.float64) for k in range(probes)], axis=-1)
    shape = (len(batches), points, settings, probes)
    means, variances = means.reshape(shape), variances.reshape(shape)
    return [(means[b], variances[b]) for b in range(len(batches))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", required=True)
    parser.add_argument("--name", required=True, help="the frontier experiment, e.g. frontier_L80")
    parser.add_argument("--verify", action="store_true",
                        help="recompute batch 0 of every reused job and require bit-identity")
    args = parser.parse_args(argv)
    cfg = load_config(args.profile)
    section = cfg["experiments"][args.name]
    out = ROOT / "results" / args.profile / args.name / f"{args.name}.parquet"
    table = pd.read_parquet(out)
    planned = dict(frontier.job_batches(section))
    reused = {}
    for job, num_batches in planned.items():
        done = job_batches_from_table(table, job)
        if done is None:
            print(f"{job}: not in the table, will be computed ({num_batches} batches)")
            continue
        if len(done) > num_batches:
            print(f"{job}: the table has {len(done)} batches, the config asks {num_batches}: "
                  "recomputed")
            continue
        if len(done) < num_batches:   # a batch's keys depend only on its index: extend the job
            print(f"{job}: the table has {len(done)} of {num_batches} batches: the rest computed")
        reused[job] = done
    if args.verify:
        for job, done in reused.items():
            fresh = frontier.run(cfg, section, args.name, _Quiet(), shard=(job, [0]))
            check = job_batches_from_table(fresh, job)[0]
            same = all(np.array_equal(a, b) for a, b in zip(check, done[0]))
            print(f"{job}: batch 0 recomputed {'bit-identical' if same else 'DIFFERS'}", flush=True)
            if not same:
                return 1
    directory = out.parent / "checkpoints" / out.stem
    directory.mkdir(parents=True, exist_ok=True)
    for job, done in reused.items():
        with atomic_path(directory / f"{job}.pkl") as tmp:
            with open(tmp, "wb") as f:
                pickle.dump(done, f)
        print(f"{job}: {len(done)} batches reused -> {directory / (job + '.pkl')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
