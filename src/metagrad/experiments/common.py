"""Shared pieces of the experiments: problems, grids, batched sampling, checkpoints."""

from __future__ import annotations

import hashlib
import importlib
import pickle
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from metagrad.config import task_config
from metagrad.estimators.base import sample_grads
from metagrad.estimators.probes import project
from metagrad.io import atomic_path
from metagrad.lifetime import lifetime_objectives


def make_problem(cfg: dict, section: dict, **overrides):
    """The problem an experiment section runs on: ``metagrad.problems.<task>.from_config``
    with the task's section (updated by ``overrides``) and the experiment's (a new task is a
    new module; nothing here changes, so no other task's results rerun)."""
    module = importlib.import_module(f"metagrad.problems.{section['task']}")
    return module.from_config({**task_config(cfg, section), **overrides}, section)


def eta_grid(low: float, high: float, size: int) -> np.ndarray:
    """``[size*size, 2]`` points of ``linspace(low, high, size)^2``, eta_0 varying slowest."""
    axis = np.linspace(low, high, size, dtype=np.float32)
    e0, e1 = np.meshgrid(axis, axis, indexing="ij")
    return np.stack([e0.ravel(), e1.ravel()], axis=1)


def name_salt(name: str) -> int:
    """A 31-bit salt from the WHOLE name (sha256), so names sharing a prefix get distinct keys."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little") % (2 ** 31)


def experiment_key(cfg: dict, name: str) -> jax.Array:
    """The root key of one experiment: the profile seed folded with the experiment's name."""
    return jax.random.fold_in(jax.random.PRNGKey(cfg["seed"]), name_salt(name))


class Checkpoint:
    """Pickled partial results in ``directory`` (or nothing when it is None), written atomically."""

    def __init__(self, directory: Path | None, name: str):
        self.path = None if directory is None else Path(directory) / f"{name}.pkl"

    def load(self, default):
        if self.path is not None and self.path.exists():
            with open(self.path, "rb") as f:
                return pickle.load(f)
        return default

    def save(self, value) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.path) as tmp:
            with open(tmp, "wb") as f:
                pickle.dump(value, f)


def setting_id(setting: dict) -> str:
    parts = [setting["estimator"]]
    for key, short in (("truncation_length", "k"), ("coefficient", "c"),
                       ("meta_discount", "g"), ("sigma", "s"), ("epsilon", "e")):
        if key in setting:
            parts.append(f"{short}{setting[key]:g}")
    if setting.get("hessian") == "dice":
        parts.append("dice")
    if setting.get("measure", "raw") != "raw":
        parts.append(setting["measure"])
    return "_".join(parts)


def sample_batches(estimator, etas: np.ndarray, num_batches: int, batch_size: int,
                   key: jax.Array, pairing_group: str, progress, checkpoint: Checkpoint,
                   extra_columns: dict | None = None, probes=None,
                   batch_indices=None) -> pd.DataFrame:
    """Batch means and variances of ``estimator`` at every eta point, in the metrics format.

    One compiled program evaluates ``batch_size`` samples at all points. Batch ``i`` at point
    ``p`` uses keys from ``fold_in(fold_in(key, i), p)``: points are independent, and every
    setting at one point sees the same samples (paired within a batch). With ``probes``
    (``[K, D]``, see ``estimators.probes``) the table holds projections on them; without, the
    D coordinates. Finished batches are checkpointed, so an interrupted run resumes.
    ``batch_indices`` (default ``range(num_batches)``) selects the batches to compute: a shard
    of a run (``metagrad.experiments.shards``) computes some of them, bit-identically.
    """
    batch_indices = list(range(num_batches) if batch_indices is None else batch_indices)
    def one(k, eta):
        flat = sample_grads(estimator, k, eta)                      # [S, D]
        return flat if probes is None else project(flat, probes)

    program = jax.jit(jax.vmap(jax.vmap(one, in_axes=(0, None))))
    etas_device = jnp.asarray(etas)
    points = jnp.arange(len(etas))
    done = checkpoint.load([])
    progress.update(len(done))
    for batch in batch_indices[len(done):]:
        # independent samples at every point (the grid mean averages independent errors);
        # all settings at one point share theirs (paired)
        batch_key = jax.random.fold_in(key, batch)
        keys = jax.vmap(lambda p: jax.random.split(jax.random.fold_in(batch_key, p),
                                                   batch_size))(points)        # [P, N]
        grads = np.asarray(program(keys, etas_device), np.float64)   # [P, N, S, K]
        done.append((grads.mean(axis=1), grads.var(axis=1, ddof=1)))
        checkpoint.save(done)
        progress.update(1)
    return batches_to_table(done, estimator.settings, etas, batch_size, pairing_group,
                            extra_columns, batch_indices)


def batches_to_table(batches, settings, etas, batch_size, pairing_group, extra_columns=None,
                     batch_indices=None):
    """Tidy rows (batch, point, setting): ``mean_k``/``var_k`` per probe k, ``eta_d`` per
    coordinate, and ``num_meta_params`` (D) / ``num_probes`` (K) for the trace rescaling."""
    means = np.stack([m for m, _ in batches])       # [batches, P, S, K]
    variances = np.stack([v for _, v in batches])
    num_batches, num_points, num_settings, num_probes = means.shape
    b, p, s = np.meshgrid(np.arange(num_batches), np.arange(num_points),
                          np.arange(num_settings), indexing="ij")
    b, p, s = b.ravel(), p.ravel(), s.ravel()
    batch_ids = np.arange(num_batches) if batch_indices is None else np.asarray(batch_indices)
    table = {"eta_index": p}
    for d in range(etas.shape[1]):
        table[f"eta_{d}"] = etas[p, d]
    table["setting_id"] = np.array([setting_id(x) for x in settings])[s]
    defaults = {"estimator": "", "truncation_length": -1, "coefficient": np.nan,
                "meta_discount": np.nan, "hessian": "none", "measure": "raw",
                "pairing_group": pairing_group}     # a setting may name its own pairing group
    for column, default in defaults.items():
        table[column] = np.array([x.get(column, default) for x in settings], dtype=object)[s]
    table.update({"batch": batch_ids[b], "num_samples": batch_size,
                  "num_meta_params": etas.shape[1], "num_probes": num_probes})
    for d in range(num_probes):
        table[f"mean_{d}"] = means[..., d].ravel()
        table[f"var_{d}"] = variances[..., d].ravel()
    frame = pd.DataFrame(table)
    frame["truncation_length"] = frame["truncation_length"].astype(int)
    frame["coefficient"] = frame["coefficient"].astype(float)
    frame["meta_discount"] = frame["meta_discount"].astype(float)
    for name, value in (extra_columns or {}).items():
        frame[name] = value
    return frame


def lifetime_mean_program(problem):
    """Jitted ``(keys [N], etas [P, D]) -> [P, N]``: the mean objective (bandit: reward per
    pull) of one lifetime on a fresh task per key; every point sees the same keys (common
    random numbers)."""

    def one(key, eta):
        task_key, life_key = jax.random.split(key)
        return lifetime_objectives(problem, eta, problem.sample_task(task_key), life_key).mean()

    return jax.jit(jax.vmap(jax.vmap(one, in_axes=(0, None)), in_axes=(None, 0)))


def mean_lifetime_reward(program, etas, num_lifetimes: int, key) -> tuple[np.ndarray, np.ndarray]:
    """Mean and s.e. over ``num_lifetimes`` bandits of ``lifetime_mean_program``'s values."""
    keys = jax.random.split(key, num_lifetimes)
    values = np.asarray(program(keys, jnp.asarray(etas)), np.float64)
    return values.mean(axis=1), values.std(axis=1, ddof=1) / np.sqrt(num_lifetimes)
