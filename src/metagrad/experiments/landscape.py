"""Figure 1: the return landscape J(eta) on a grid, L = 30 (spec section 5, item 1)."""

from __future__ import annotations

import jax
import numpy as np
import pandas as pd

from metagrad.experiments.common import (Checkpoint, eta_grid, experiment_key,
                                         lifetime_mean_program, make_problem)


def run(cfg: dict, section: dict, name: str, progress, checkpoint_dir=None,
        seeds=None) -> pd.DataFrame:
    """Mean reward per pull at every grid point: iterations x bandits x seeds lifetimes each.

    One row per (grid point, seed, iteration): the mean over that iteration's ``num_bandits``
    independent bandits and its s.e. Every grid point sees the same bandits and noise (common
    random numbers), so the surface is smooth and differences between points, which locate
    the maximum, are paired batch by batch over (seed, iteration). ``seeds`` (default: all
    ``num_seeds``) computes only those seeds' rows, as a shard does.

    Each lifetime's value is its mean over steps of the expected reward of the policy,
    ``sum_k pi_t(k) mu_k`` (the arm means are known in simulation), instead of the sampled
    rewards: the same J(eta), without the reward and action-sampling noise (spec section 4).
    """
    problem = make_problem(cfg, section, outer_terms_form="conditional")
    etas = eta_grid(section["grid_low"], section["grid_high"], section["grid_size"])
    n_bandits, n_iter, n_seeds = (section["num_bandits"], section["num_iterations"],
                                  section["num_seeds"])

    program = lifetime_mean_program(problem)
    checkpoint = Checkpoint(checkpoint_dir, "landscape")
    done = checkpoint.load({})
    seeds = list(range(n_seeds)) if seeds is None else list(seeds)
    progress.set_total(len(seeds) * n_iter)
    progress.update(len(done))
    root = experiment_key(cfg, name)
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
    for (seed, it), (total, total_sq) in sorted(done.items()):
        if seed not in seeds:
            continue
        mean = total / n_bandits
        var = (total_sq - n_bandits * mean ** 2) / (n_bandits - 1)
        rows.append(pd.DataFrame({
            "eta_0": etas[:, 0], "eta_1": etas[:, 1], "seed": seed, "iteration": it,
            "mean_reward": mean, "mean_reward_se": np.sqrt(np.maximum(var, 0) / n_bandits),
            "num_lifetimes": n_bandits}))
    return pd.concat(rows, ignore_index=True)
