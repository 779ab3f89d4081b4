"""Fan-out and gather (metagrad.experiments.shards): gathered shards equal an unsharded run
bit for bit, the plans cover each experiment exactly once, and the CLI writes shard tables and
provenance. (tests/test_slurm.py runs the same through Snakemake on a real SLURM cluster.)"""

import copy
import json
from pathlib import Path

import pandas as pd
import pytest

from metagrad.experiments import KINDS
import yaml

from metagrad import cli
from metagrad.config import load_config
from metagrad.experiments import shards

REPO = Path(__file__).resolve().parents[1]


class Quiet:
    def set_total(self, n):
        pass

    def update(self, n=1):
        pass

    def close(self):
        pass


@pytest.fixture(scope="module")
def smoke():
    return load_config("smoke", root=REPO)


def _unsharded(cfg, name, section):
    return KINDS[section["kind"]](cfg, section, name, Quiet())


def _sharded(cfg, name, section, spec):
    names = shards.shard_names(name, section, spec)
    # computed in reverse order: gather restores the unsharded order
    tables = [shards.run_shard(cfg, name, section, s, Quiet()) for s in reversed(names)]
    return names, shards.gather(name, section, tables)


def _small_frontier(cfg):
    cfg = copy.deepcopy(cfg)
    sec = cfg["experiments"]["frontier_L30"]
    sec.update(truncation_lengths=[1, 29], coefficients=[0.0, 1.0], meta_discounts=[0.5],
               include_es=False, mg_batches=3, fd_batches=1, rb_batches=2, fd_check_batches=1)
    return cfg


@pytest.fixture
def compile_cache(tmp_path):
    """JAX's persistent compilation cache for one test: shards of one experiment compile the
    same programs as the unsharded run, so each is compiled once (the numbers are unchanged)."""
    import jax

    names = ("jax_compilation_cache_dir", "jax_persistent_cache_min_compile_time_secs",
             "jax_persistent_cache_min_entry_size_bytes")
    saved = {n: getattr(jax.config, n) for n in names}
    jax.config.update("jax_compilation_cache_dir", str(tmp_path / "jax-cache"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    yield
    for n, value in saved.items():
        jax.config.update(n, value)


@pytest.mark.parametrize("name, spec", [
    ("frontier_L30", {"by": "batch", "batches_per_shard": 2}),
    ("landscape", {"by": "seed"}),
    ("learning_curves", {"by": "seed"}),
    ("maze_gradients", {"by": "seed"}),
])
def test_gathered_shards_equal_unsharded_run(smoke, name, spec, compile_cache):
    """Frontier shards by batch, landscape and maze by seed, meta-training by seed (smoke sizes,
    fewer settings to keep compile time short)."""
    cfg = _small_frontier(smoke) if name == "frontier_L30" else copy.deepcopy(smoke)
    section = cfg["experiments"][name]
    if name == "landscape":
        section.update(num_seeds=2)
    if name == "learning_curves":  # two runs per seed: a shard's program is half the size
        section.update(estimators=["naive", "correction"], num_seeds=2)
    if name == "maze_gradients":   # two w, one call per variant and cell: fewer programs to build
        section.update(num_seeds=2, w_points=2, mg_agents_per_seed=2, fd_agents_per_seed=2,
                       agents_per_call=2)
    names, gathered = _sharded(cfg, name, section, spec)
    assert len(names) > 1
    pd.testing.assert_frame_equal(gathered, _unsharded(cfg, name, section), check_exact=True)


def test_shard_names_cover_each_experiment(smoke):
    sec = smoke["experiments"]
    assert shards.shard_names("frontier_L80", sec["frontier_L80"],
                              {"by": "batch", "batches_per_shard": 1}) == [
        "mg-00000-00001", "mg-00001-00002", "mg_rb-00000-00001", "mg_rb-00001-00002",
        "es-00000-00001", "es-00001-00002", "es_rb-00000-00001", "es_rb-00001-00002",
        "fd-00000-00001", "fd-00001-00002",
        "fd_check-00000-00001", "fd_check-00001-00002"]
    assert shards.shard_names("frontier_L30", sec["frontier_L30"],
                              {"by": "batch", "batches_per_shard": 5}) == [
        "mg-00000-00002", "mg_rb-00000-00002", "fd-00000-00002",
        "fd_check-00000-00002"]   # no ES at L = 30 in smoke; last chunk is short
    assert shards.shard_names("truncated_sgd", sec["truncated_sgd"],
                              {"by": ["truncation_length", "seed"]}) == [
        "truncation_length-1__seed-0", "truncation_length-8__seed-0",
        "truncation_length-22__seed-0", "truncation_length-29__seed-0"]
    for bad in ({"by": "seed"}, {"by": "batch", "batches_per_shard": 0}):
        with pytest.raises(shards.ShardError):
            shards.shard_names("frontier_L80", sec["frontier_L80"], bad)
    with pytest.raises(shards.ShardError, match="run fields"):
        shards.shard_names("learning_curves", sec["learning_curves"], {"by": "colour"})
    with pytest.raises(shards.ShardError, match="outside"):
        shards.run_shard(smoke, "frontier_L80", sec["frontier_L80"], "mg-00001-00009", Quiet())


def test_paper_plan_fans_out_into_many_jobs():
    paper = load_config("paper", root=REPO)
    plan = yaml.safe_load((REPO / "workflow/shards.yaml").read_text())["paper"]
    counts = {name: len(shards.shard_names(name, paper["experiments"][name], spec))
              for name, spec in plan.items()}
    shardable = {n for n, sec in paper["experiments"].items() if sec["kind"] in shards.SHARDABLE}
    assert set(counts) == shardable                          # every shardable experiment fans out
    assert counts["maze_gradients"] == paper["experiments"]["maze_gradients"]["num_seeds"]
    assert {paper["experiments"][n]["kind"] for n in counts} == set(shards.SHARDABLE)
    assert min(counts.values()) >= 5 and sum(counts.values()) > 300, counts


def test_gather_refuses_incomplete_shards(smoke):
    sec = dict(smoke["experiments"]["landscape"], num_seeds=2)
    cfg = copy.deepcopy(smoke)
    cfg["experiments"]["landscape"] = sec
    one = shards.run_shard(cfg, "landscape", sec, "seed-0", Quiet())
    with pytest.raises(shards.ShardError):
        shards.gather("landscape", sec, [one])
    with pytest.raises(shards.ShardError):
        shards.gather("landscape", sec, [one, one])


def test_cli_shard_and_gather_write_tables_and_provenance(tmp_path, smoke):
    out = tmp_path / "results/smoke/landscape"
    shard = out / "shards/seed-0.parquet"
    assert cli.main(["--root", str(REPO), "shard", "landscape", "--profile", "smoke",
                     "--shard", "seed-0", "--out", str(shard)]) == 0
    record = json.loads(shard.with_name("seed-0.provenance.json").read_text())
    assert record["kind"] == "experiment_shard" and record["shard"] == "seed-0"
    table = out / "landscape.parquet"
    assert cli.main(["--root", str(REPO), "gather", "landscape", "--profile", "smoke",
                     "--shards", str(shard), "--out", str(table)]) == 0
    gathered = json.loads((out / "landscape.provenance.json").read_text())
    assert gathered["kind"] == "experiment" and gathered["shards"][0]["shard"] == "seed-0"
    pd.testing.assert_frame_equal(pd.read_parquet(table),
                                  _unsharded(smoke, "landscape", smoke["experiments"]["landscape"]),
                                  check_exact=True)
    assert cli.main(["--root", str(REPO), "shard", "landscape", "--profile", "smoke",
                     "--shard", "seed-7", "--out", str(shard)]) == 2   # a one-line ConfigError
