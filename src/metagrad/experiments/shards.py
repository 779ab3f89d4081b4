"""Fan-out and gather: one experiment table computed as independent shards (cluster jobs).

A shard plan (``workflow/shards.yaml``: profile -> experiment -> spec) says how an experiment
splits; the split never changes a number:

- frontier experiments (``by: batch``, ``batches_per_shard: n``): a shard is ``n`` consecutive
  batches of one pairing group (``mg``, ``es``, ``fd``). Batch ``i`` at point ``p`` uses keys
  ``fold_in(fold_in(key, i), p)`` and the same compiled program shape as an unsharded run, so
  the gathered table is bit-identical.
- landscape and maze gradients (``by: seed``): one shard per seed (each seed's lifetimes, or
  (seed, w) cells, have their own keys).
- meta-training experiments (``by: seed`` or any other :class:`Run` field, or a list of
  fields, e.g. ``[truncation_length, seed]``): a shard is the runs sharing those values. Each
  run's gradient keys come from its seed and every evaluation uses the same key, so a run's
  numbers do not depend on which other runs share its shard: its updates are bit-identical in
  a smaller program, and J is evaluated in a program of the whole experiment's shape (the
  other rows held at their starts; it costs a few per cent of a shard's updates). ``run_id``
  stays the run's index in the whole experiment.
- figure 10's maze training (``by: configuration``): one shard per estimator configuration
  (family and window, e.g. ``mg_T64``), each a program of its own whose runs' keys come from
  their seeds only, so its rows equal the unsharded run's.

Shard names are file-name safe and self-describing (``mg-00000-00010``: batches 0-9 of the MG
group; ``seed-3``; ``truncation_length-22__seed-0``), so a shard job needs only its name.
:func:`gather` checks that the shards cover the experiment exactly once and restores the
unsharded row order.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

FRONTIER = ("frontier",)                                 # experiment kinds
TRAINING = ("named_training", "truncated_training")
LANDSCAPE = ("landscape",)
BY_SEED = LANDSCAPE + ("maze_gradients",)
BY_CONFIGURATION = ("maze_training",)
SHARDABLE = FRONTIER + TRAINING + BY_SEED + BY_CONFIGURATION
_SEP = "__"
# frontier jobs whose settings write a second pairing group (see experiments.frontier)
_JOB_OF_GROUP = {"mg_paired": "mg_rb"}


class ShardError(ValueError):
    """A shard plan or shard name that does not fit the experiment."""


def _kind(name: str, section: dict) -> str:
    kind = section.get("kind")
    if kind not in SHARDABLE:
        raise ShardError(f"experiment {name!r} (kind {kind!r}) cannot be sharded; shardable "
                         f"kinds: {', '.join(SHARDABLE)}")
    return kind


# ----------------------------------------------------------------------------- frontier
def _frontier_groups(section: dict) -> list[tuple[str, int]]:
    """(job, number of batches) in the order the unsharded run computes them."""
    from metagrad.experiments.frontier import job_batches

    return job_batches(section)


def _frontier_shard(shard: str) -> tuple[str, int, int]:
    try:
        group, start, stop = shard.split("-")
        return group, int(start), int(stop)
    except ValueError:
        raise ShardError(f"frontier shard names look like 'mg-00000-00010', got {shard!r}") from None


# ----------------------------------------------------------------------------- training
def _runs(name: str, section: dict):
    from metagrad.experiments.meta_training import section_runs

    return section_runs(section)


def _run_fields() -> list[str]:
    from metagrad.experiments.meta_training import Run

    return [f.name for f in dataclasses.fields(Run)]


def _training_key(run, fields) -> str:
    return _SEP.join(f"{f}-{getattr(run, f)}" for f in fields)


def _training_selector(shard: str) -> list[tuple[str, str]]:
    fields = sorted(_run_fields(), key=len, reverse=True)  # longest prefix first
    parts = []
    for part in shard.split(_SEP):
        field = next((f for f in fields if part.startswith(f + "-")), None)
        if field is None:
            raise ShardError(f"training shard part {part!r} names no run field "
                             f"({', '.join(_run_fields())})")
        parts.append((field, part[len(field) + 1:]))
    return parts


def _configuration_ids(section: dict) -> list[str]:
    from metagrad.experiments.maze_training import configurations

    return [c.id for c in configurations(section)]


# ----------------------------------------------------------------------------- plan
def shard_names(name: str, section: dict, spec: dict) -> list[str]:
    """The shards of experiment ``name`` under plan entry ``spec``, in gather order."""
    kind = _kind(name, section)
    by = spec.get("by")
    if kind in FRONTIER:
        if by != "batch":
            raise ShardError(f"{name} shards by batch (by: batch, batches_per_shard: N), got by: {by!r}")
        per = int(spec.get("batches_per_shard", 1))
        if per < 1:
            raise ShardError(f"{name}: batches_per_shard must be >= 1, got {per}")
        return [f"{group}-{start:05d}-{min(start + per, n):05d}"
                for group, n in _frontier_groups(section) for start in range(0, n, per)]
    if kind in BY_SEED:
        if by != "seed":
            raise ShardError(f"{name} shards by seed (by: seed), got by: {by!r}")
        return [f"seed-{s}" for s in range(section["num_seeds"])]
    if kind in BY_CONFIGURATION:
        if by != "configuration":
            raise ShardError(f"{name} shards by estimator configuration (by: configuration), "
                             f"got by: {by!r}")
        return _configuration_ids(section)
    fields = [by] if isinstance(by, str) else list(by or [])
    unknown = [f for f in fields if f not in _run_fields()]
    if not fields or unknown:
        raise ShardError(f"{name} shards by run fields ({', '.join(_run_fields())}), got by: {by!r}")
    names = []
    for run in _runs(name, section):
        key = _training_key(run, fields)
        if key not in names:
            names.append(key)
    return names


# ----------------------------------------------------------------------------- one shard
def run_shard(cfg: dict, name: str, section: dict, shard: str, progress,
              checkpoint_dir=None) -> pd.DataFrame:
    """The rows of ``name``'s table that shard ``shard`` computes (same values as unsharded)."""
    kind = _kind(name, section)
    if kind in FRONTIER:
        from metagrad.experiments.frontier import run as run_frontier

        group, start, stop = _frontier_shard(shard)
        sizes = dict(_frontier_groups(section))
        if group not in sizes or not 0 <= start < stop <= sizes[group]:
            raise ShardError(f"{name}: shard {shard!r} is outside the batches "
                             f"{', '.join(f'{g}: 0-{n}' for g, n in sizes.items())}")
        return run_frontier(cfg, section, name, progress, checkpoint_dir,
                            shard=(group, range(start, stop)))
    if kind in BY_SEED:
        if kind in LANDSCAPE:
            from metagrad.experiments.landscape import run
        else:
            from metagrad.experiments.maze_gradients import run

        value = shard[len("seed-"):] if shard.startswith("seed-") else ""
        if not value.isdigit() or int(value) >= section["num_seeds"]:
            raise ShardError(f"{name} shards are seed-0 ... seed-{section['num_seeds'] - 1}, "
                             f"got {shard!r}")
        return run(cfg, section, name, progress, checkpoint_dir, seeds=[int(value)])
    if kind in BY_CONFIGURATION:
        from metagrad.experiments.maze_training import run as run_maze_training

        if shard not in _configuration_ids(section):
            raise ShardError(f"{name} shards are {', '.join(_configuration_ids(section))}, "
                             f"got {shard!r}")
        return run_maze_training(cfg, section, name, progress, checkpoint_dir,
                                 configuration_ids={shard})
    from metagrad.experiments.meta_training import run_meta_training

    selector = _training_selector(shard)
    runs = _runs(name, section)
    chosen = [i for i, r in enumerate(runs) if all(str(getattr(r, f)) == v for f, v in selector)]
    if not chosen:
        raise ShardError(f"{name}: shard {shard!r} selects no run")
    table = run_meta_training(cfg, section, name, [runs[i] for i in chosen], progress,
                              checkpoint_dir, evaluation_layout=(runs, chosen))
    table["run_id"] = table["run_id"].map(dict(enumerate(chosen))).astype(table["run_id"].dtype)
    return table


# ----------------------------------------------------------------------------- gather
def gather(name: str, section: dict, tables: list[pd.DataFrame]) -> pd.DataFrame:
    """One table from the shards' tables, in the unsharded row order; every batch, seed or run
    must appear exactly once."""
    kind = _kind(name, section)
    if not tables:
        raise ShardError(f"{name}: no shard tables to gather")
    table = pd.concat(tables, ignore_index=True)
    if kind in FRONTIER:
        order = {g: i for i, (g, _) in enumerate(_frontier_groups(section))}
        expected = {(g, b) for g, n in _frontier_groups(section) for b in range(n)}
        job = table["pairing_group"].replace(_JOB_OF_GROUP)
        table = table.assign(_g=job.map(order), _job=job)
        found = table.drop_duplicates(["pairing_group", "batch", "eta_index", "setting_id"])
        if len(found) != len(table):
            raise ShardError(f"{name}: some (group, batch, point, setting) rows appear twice")
        got = set(map(tuple, table[["_job", "batch"]].drop_duplicates().itertuples(index=False)))
        # within a job's batch, rows keep the order the shard wrote (point, setting)
        table = table.sort_values(["_g", "batch"], kind="stable").drop(columns=["_g", "_job"])
    elif kind in LANDSCAPE:
        expected = set(range(section["num_seeds"]))
        got = set(table["seed"].unique().tolist())
        rows = len(expected) * section["num_iterations"] * section["grid_size"] ** 2
        if len(table) != rows:
            raise ShardError(f"{name}: expected {len(expected)} seeds x "
                             f"{section['num_iterations']} iterations x "
                             f"{section['grid_size'] ** 2} points, got {len(table)} rows")
        table = table.sort_values(["seed", "iteration"], kind="stable")
    elif kind in BY_SEED:
        from metagrad.experiments.maze_gradients import MG_VARIANTS

        expected = set(range(section["num_seeds"]))
        got = set(table["seed"].unique().tolist())
        rows = len(expected) * section["w_points"] * (len(MG_VARIANTS) + 2)   # + difference, FD
        if len(table) != rows or table.duplicated(["variant", "w", "seed"]).any():
            raise ShardError(f"{name}: expected {len(expected)} seeds x {section['w_points']} w x "
                             f"{len(MG_VARIANTS) + 2} variants, once each, got {len(table)} rows")
        table = table.sort_values(["seed"], kind="stable")
    elif kind in BY_CONFIGURATION:
        order = {c: i for i, c in enumerate(_configuration_ids(section))}
        expected = set(order)
        got = set(table["configuration"].unique().tolist())
        if table.duplicated(["configuration", "learning_rate", "coefficient", "seed",
                             "env_steps"]).any():
            raise ShardError(f"{name}: some (configuration, run, env steps) rows appear twice")
        table = (table.assign(_c=table["configuration"].map(order))
                 .sort_values("_c", kind="stable").drop(columns="_c"))
    else:
        expected = set(range(len(_runs(name, section))))
        got = set(table["run_id"].unique().tolist())
        if table.duplicated(["update", "run_id"]).any():
            raise ShardError(f"{name}: some (update, run_id) rows appear twice")
        table = table.sort_values(["update", "run_id"], kind="stable")
    if got != expected:
        missing, extra = sorted(expected - got)[:5], sorted(got - expected)[:5]
        raise ShardError(f"{name}: the shards do not cover the experiment exactly "
                         f"(missing {missing}, unexpected {extra})")
    return table.reset_index(drop=True)
