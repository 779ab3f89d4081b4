"""Bias-variance frontiers (figures 4, 5 and 8; spec section 5, items 4, 5 and 8).

Every MG setting (truncation x correction coefficient or meta-discount, plus DiCE) is estimated
on the SAME sampled lifetimes (one ``make_mg`` call), ES settings share their antithetic pairs,
and the FD reference uses common random numbers. The table holds batch means and variances per
(eta point, setting, batch) in the format ``metagrad.metrics`` reads; FD rows are the reference.
"""

from __future__ import annotations

import jax
import pandas as pd

from metagrad.estimators import MGSetting, make_es, make_fd, make_mg
from metagrad.experiments.common import (Checkpoint, bandit_problem, eta_grid, experiment_key,
                                         sample_batches)


def mg_settings(section: dict, lifetime_length: int) -> list[MGSetting]:
    settings = [MGSetting(t, c) for t in section["truncation_lengths"]
                for c in section["coefficients"]]
    settings += [MGSetting(t, 1.0, g) for t in section["truncation_lengths"]
                 for g in section["meta_discounts"] if g != 1.0]
    if section["include_dice"]:
        settings.append(MGSetting(lifetime_length - 1, 0.0, hessian="dice"))
    return settings


def run_frontier(cfg: dict, section: dict, name: str, progress, checkpoint_dir=None,
                 shard=None):
    """The frontier table; ``shard=(group, batch_indices)`` computes only those batches of
    one pairing group ("mg", "es" or "fd"), as ``metagrad.experiments.shards`` asks."""
    problem = bandit_problem(cfg, section)
    L = problem.lifetime_length
    etas = eta_grid(section["grid_low"], section["grid_high"], section["grid_size"])
    root = experiment_key(cfg, name)
    n = section["samples_per_batch"]
    jobs = [("mg", make_mg(problem, mg_settings(section, L), section["lifetimes_per_sample"]),
             section["mg_batches"], n)]
    if section["include_es"]:
        jobs.append(("es", make_es(problem, section["truncation_lengths"], section["es_sigma"]),
                     section["es_batches"], n))
    # the reference keeps Gumbel-max common random numbers: 3-5x less FD variance
    jobs.append(("fd", make_fd(problem.with_action_sampler("gumbel"), section["fd_epsilon"]),
                 section["fd_batches"],
                 section["fd_samples_per_batch"]))
    indices = {job[0]: None for job in jobs}
    if shard is not None:
        indices = {shard[0]: list(shard[1])}
    jobs = [(index, job) for index, job in enumerate(jobs) if job[0] in indices]
    progress.set_total(sum(job[2] if indices[job[0]] is None else len(indices[job[0]])
                           for _, job in jobs))
    tables = []
    for index, (group, estimator, num_batches, batch_size) in jobs:
        table = sample_batches(estimator, etas, num_batches, batch_size,
                               jax.random.fold_in(root, index), group, progress,
                               Checkpoint(checkpoint_dir, group), batch_indices=indices[group])
        tables.append(table)
    table = pd.concat(tables, ignore_index=True)
    table.loc[table["estimator"] == "fd", "truncation_length"] = L - 1
    table["lifetime_length"] = L
    return table

