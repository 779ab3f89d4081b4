"""Figure 1: the return landscape J(eta) on a grid, L = 30 (spec section 5, item 1)."""

from __future__ import annotations

import jax
import numpy as np
import pandas as pd

from metagrad.experiments.common import (Checkpoint, bandit_problem, eta_grid, experiment_key,
                                         lifetime_mean_program)


def run(cfg: dict, section: dict, progress, checkpoint_dir=None, seeds=None) -> pd.DataFrame:
    """Mean reward per pull at every grid point: iterations x bandits x seeds lifetimes each.

    One row per (grid point, seed); each seed's mean is over ``num_iterations * num_bandits``
    independent bandits, and its s.e. is from those lifetimes. Every grid point sees the same
    bandits and noise (common random numbers), so the surface is smooth and differences between
    neighbouring points, which locate the maximum, are paired.
    ``seeds`` (default: all ``num_seeds``) computes only those seeds' rows, as a shard does.
    """
    problem = bandit_problem(cfg, section)
    etas = eta_grid(section["grid_low"], section["grid_high"], section["grid_size"])
    n_bandits, n_iter, n_seeds = (section["num_bandits"], section["num_iterations"],
                                  section["num_seeds"])
    seeds = list(range(n_seeds) if seeds is None else seeds)

    program = lifetime_mean_program(problem)
    checkpoint = Checkpoint(checkpoint_dir, "landscape")
    done = checkpoint.load({})
    progress.set_total(len(seeds) * n_iter)
    progress.update(len(done))
    root = experiment_key(cfg, "landscape")
    for seed in seeds:
        for it in range(n_iter):
            if (seed, it) in done:
                continue
            key = jax.random.fold_in(jax.random.fold_in(root, seed), it)
            values = np.asarray(program(jax.random.split(key, n_bandits), etas), np.float64)
            done[(seed, it)] = (values.sum(axis=1), (values ** 2).sum(axis=1))
            checkpoint.save(done)
            progress.update(1)
    rows = []
    for seed in seeds:
        total = sum(done[(seed, it)][0] for it in range(n_iter))
        total_sq = sum(done[(seed, it)][1] for it in range(n_iter))
        n = n_iter * n_bandits
        mean = total / n
        var = (total_sq - n * mean ** 2) / (n - 1)
        rows.append(pd.DataFrame({
            "eta_0": etas[:, 0], "eta_1": etas[:, 1], "seed": seed, "mean_reward": mean,
            "mean_reward_se": np.sqrt(np.maximum(var, 0) / n), "num_lifetimes": n}))
    return pd.concat(rows, ignore_index=True)
