"""The workflow on a real SLURM cluster through snakemake-executor-plugin-slurm.

A one-node cluster on localhost (tests/slurm_cluster.py: Debian's slurm 22.05 and munge,
installed with apt when missing and we are root) runs figure 8 of the smoke profile, fanned out
into shards of two batches, through the execution profile workflow/profiles/slurm; the shard
jobs ask for a GPU (fake GRES devices). The test checks

- every job went through sbatch (the controller lists them all, and each shard's provenance
  names its SLURM job and the GPU Slurm gave it in CUDA_VISIBLE_DEVICES);
- a failed shard fails alone: the other shards finish and are kept, and the rerun makes only
  that shard and what depends on it;
- the gathered table and the figure's summary tables equal a local, unsharded run's exactly.

Skips (saying why) where SLURM cannot be installed or an /etc/slurm/slurm.conf exists.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from slurm_cluster import Unavailable, start_cluster
from test_workflow import copy_workflow

FIGURE = "figures/smoke/fig8_coefficient_vs_discount.pdf"
EXPERIMENT = "frontier_L30"
RESULTS = f"results/smoke/{EXPERIMENT}"
FAILING = "mg-00000-00002"
# no FD smoothing check (shorter test): shards mg, mg_rb and fd, two batches each
SMALLER = {"fd_check_batches": 0}
# two batches per shard: three shard jobs (six at one batch each cost three more job starts)
SHARDING = {"by": "batch", "batches_per_shard": 2}


def _smaller_frontier(root: Path) -> list[str]:
    """Shrink the copied smoke profile's frontier_L30 (SMALLER); return its shard names at
    SHARDING."""
    from metagrad.experiments.shards import shard_names

    path = root / "workflow/config/smoke.yaml"
    cfg = yaml.safe_load(path.read_text())
    cfg["experiments"][EXPERIMENT].update(SMALLER)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return shard_names(EXPERIMENT, cfg["experiments"][EXPERIMENT], SHARDING)


@pytest.fixture(scope="module")
def cluster():
    t0 = time.monotonic()
    try:
        c = start_cluster()
    except Unavailable as err:
        pytest.skip(f"SLURM test skipped: {err}")
    c.start_seconds = time.monotonic() - t0
    yield c
    c.stop()


def _snakemake(cwd: Path, *args, env_extra=None, timeout=420):
    """Snakemake in its own process group, killed (SIGKILL) on timeout: with a broken status
    query the executor waits forever and ignores SIGTERM."""
    env = dict(os.environ, MPLBACKEND="Agg", JAX_PLATFORMS="cpu", **(env_extra or {}))
    env.pop("METAGRAD_ROOT", None)
    proc = subprocess.Popen([sys.executable, "-m", "snakemake", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"snakemake timed out after {timeout} s:\n{out[-4000:]}")
    return proc.returncode, out


def _slurm_run(cwd, env_extra=None):
    return _snakemake(
        cwd, "--profile", "workflow/profiles/smoke", "--profile", "workflow/profiles/slurm",
        "--slurm-init-seconds-before-status-checks", "2", "--latency-wait", "5",
        "--slurm-keep-successful-logs",
        # the paper profile's GPU request, on the smoke shards (two fake GPUs on the node)
        "--set-resources", "experiment_shard:gpu=1", "--jobs", "4", FIGURE, env_extra=env_extra)


def test_sharded_figure_through_slurm_equals_local_run(cluster, tmp_path):
    t0 = time.monotonic()
    remote = copy_workflow(_mkdir(tmp_path / "slurm"))
    names = _smaller_frontier(remote)
    assert FAILING in names and len(names) == 3, names
    (remote / "workflow/shards.yaml").write_text(
        yaml.safe_dump({"smoke": {EXPERIMENT: SHARDING}}))
    shards_dir = remote / RESULTS / "shards"

    # 1. one shard fails: the others finish and are kept
    rc, out = _slurm_run(remote, env_extra={"METAGRAD_TEST_FAIL_SHARD": FAILING})
    assert rc != 0, out[-3000:]
    kept = {p.name: p.stat().st_mtime_ns for p in shards_dir.glob("*.parquet")}
    assert sorted(kept) == sorted(f"{n}.parquet" for n in names if n != FAILING), out[-3000:]
    jobs_first = cluster.squeue()
    assert sorted(state for _, state, _ in jobs_first) == ["COMPLETED"] * 2 + ["FAILED"], jobs_first

    # 2. the rerun makes the failed shard alone, then the gather, summary and figure
    rc, out = _slurm_run(remote)
    assert rc == 0, out[-4000:]
    assert {p.name: p.stat().st_mtime_ns for p in shards_dir.glob("*.parquet") if p.name in kept} == kept
    assert out.count("rule experiment_shard:") == 1 and f"shard={FAILING}" in out, out[-3000:]
    # the jobs of both runs, by id: on a slow machine the controller may already have purged
    # the first run's finished jobs (MinJobAge), so take them from the listing made after it
    jobs = {job_id: (state, name) for job_id, state, name in jobs_first}
    jobs_second = {job_id: (state, name) for job_id, state, name in cluster.squeue()
                   if job_id not in jobs}
    assert sorted(state for state, _ in jobs_second.values()) == ["COMPLETED"] * 4, jobs_second
    # 3 shards (one failed), then the failed shard again, gather, summary and figure
    jobs.update(jobs_second)
    assert "_slurm_rpc_submit_batch_job" in cluster.log("slurmctld")
    ids = set(jobs)
    for prov_file in shards_dir.glob("*.provenance.json"):
        slurm = json.loads(prov_file.read_text())["slurm"]
        assert slurm["job_id"] in ids
        assert slurm["cuda_visible_devices"] in ("0", "1")   # Slurm's GPU assignment
    assert (remote / FIGURE).exists()
    gathered = json.loads((remote / RESULTS / f"{EXPERIMENT}.provenance.json").read_text())
    assert gathered["rule"] == "experiment_gather" and len(gathered["shards"]) == 3
    slurm_seconds = time.monotonic() - t0

    # 3. the same tables from a local, unsharded run
    local = copy_workflow(_mkdir(tmp_path / "local"))
    _smaller_frontier(local)
    rc, out = _snakemake(local, "--profile", "workflow/profiles/smoke",
                         f"{RESULTS}/frontier_aggregate.parquet")
    assert rc == 0, out[-4000:]
    assert "experiment_shard" not in out and "rule frontier_experiment:" in out
    for stem in (EXPERIMENT, "frontier_points", "frontier_aggregate"):
        pd.testing.assert_frame_equal(pd.read_parquet(remote / RESULTS / f"{stem}.parquet"),
                                      pd.read_parquet(local / RESULTS / f"{stem}.parquet"),
                                      check_exact=True)
    print(f"\nSLURM test: cluster start {cluster.start_seconds:.1f} s, {len(jobs)} sbatch jobs "
          f"({len(jobs_first)} in the failing run), SLURM runs {slurm_seconds:.0f} s, "
          f"total {time.monotonic() - t0:.0f} s")


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True)
    return path
