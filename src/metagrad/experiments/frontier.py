"""Bias-variance frontiers (figures 4, 5 and 8; spec section 5, items 4, 5 and 8).

Every MG setting (truncation x correction coefficient or meta-discount, plus DiCE) is estimated
on the SAME sampled lifetimes (one ``make_mg`` call), ES settings share their antithetic pairs,
and the FD reference uses common random numbers. The table holds batch means and variances per
(eta point, setting, batch) in the format ``metagrad.metrics`` reads. Pairing groups:

- ``mg``: the raw estimators, as the paper samples them (the variance axis, the paper's bias);
- ``mg_rb`` (ours): the same settings with Rao-Blackwellized outer terms and a control variate
  (``rb_outer_terms``, ``rb_baseline``): the same expectations (proven by enumeration), much
  less variance; ``mg_paired`` (ours): each of them minus the untruncated c = 1 one on the
  same lifetimes, whose mean is the setting's bias vector E[estimate] - grad J (c = 1 is
  proven unbiased), so its noise-corrected square is a decisive bias measurement;
- ``es``: the raw ES estimator (the variance axis); ``es_rb`` (ours): ES with the conditional
  outer terms and common random numbers for its two members (``make_es(...,
  common_random_numbers=True)``) on the same tasks and perturbations as ``es``: the same
  expectation (each member's distribution is unchanged), 2-30x less variance, so its
  noise-corrected bias against FD is ES's decisive bias;
- ``fd``: the reference (``fd_epsilon``); ``fd_check`` (ours): FD at
  ``fd_check_epsilon`` and its difference to FD at ``fd_epsilon`` on the same keys, the paired
  smoothing check of the reference's epsilon.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pandas as pd

from metagrad.estimators import Estimate, MGSetting, make_es, make_fd, make_mg, stateless
from metagrad.experiments.common import (Checkpoint, eta_grid, experiment_key, make_problem,
                                         sample_batches)



def mg_settings(section: dict, lifetime_length: int) -> list[MGSetting]:
    settings = [MGSetting(t, c) for t in section["truncation_lengths"]
                for c in section["coefficients"]]
    settings += [MGSetting(t, 1.0, g) for t in section["truncation_lengths"]
                 for g in section["meta_discounts"] if g != 1.0]
    if section["include_dice"]:
        settings.append(MGSetting(lifetime_length - 1, 0.0, hessian="dice"))
    return settings


def with_paired_differences(estimator, reference: int):
    """Rows ``[estimate_s]`` (group ``mg_rb``) and ``[estimate_s - estimate_reference]`` (group
    ``mg_paired``) of one estimator, from the same samples."""
    rows = tuple({**s, "measure": "rb", "pairing_group": "mg_rb"} for s in estimator.settings)
    rows += tuple({**s, "measure": "paired", "pairing_group": "mg_paired"}
                  for s in estimator.settings)

    def estimate(key, eta):
        out, _ = estimator.estimate(estimator.init(key, eta), key, eta)
        grad = jax.tree.map(lambda g: jnp.concatenate([g, g - g[reference:reference + 1]]),
                            out.grad)
        return Estimate(grad, jnp.concatenate([out.objective, out.objective]))

    return stateless(rows, estimate)


def with_measure(estimator, measure: str, pairing_group: str):
    """The same estimator, its rows labelled ``measure`` in ``pairing_group``."""
    rows = tuple({**s, "measure": measure, "pairing_group": pairing_group}
                 for s in estimator.settings)
    return estimator._replace(settings=rows)


def with_smoothing_check(problem, epsilon: float, check_epsilon: float):
    """FD at ``check_epsilon`` and its difference to FD at ``epsilon`` on the same keys (same
    tasks and noise): the mean difference is the smoothing bias between the two epsilons."""
    fine, coarse = make_fd(problem, check_epsilon), make_fd(problem, epsilon)
    rows = ({**fine.settings[0], "measure": "fd"},
            {**fine.settings[0], "measure": "smoothing_difference"})

    def estimate(key, eta):
        a, _ = fine.estimate((), key, eta)
        b, _ = coarse.estimate((), key, eta)
        grad = jax.tree.map(lambda x, y: jnp.concatenate([x, x - y]), a.grad, b.grad)
        return Estimate(grad, jnp.concatenate([a.objective, a.objective - b.objective]))

    return stateless(rows, estimate)


def job_batches(section: dict) -> list[tuple[str, int]]:
    """(job, number of batches) in the order ``run`` computes them (also the shard plan's)."""
    jobs = [("mg", section["mg_batches"]), ("mg_rb", section["rb_batches"])]
    if section["include_es"]:
        jobs.append(("es", section["es_batches"]))
        if section["es_rb_batches"]:
            jobs.append(("es_rb", section["es_rb_batches"]))
    jobs.append(("fd", section["fd_batches"]))
    if section["fd_check_batches"]:
        jobs.append(("fd_check", section["fd_check_batches"]))
    return jobs


def run(cfg: dict, section: dict, name: str, progress, checkpoint_dir=None, shard=None):
    """The frontier table; ``shard=(job, batch_indices)`` computes only those batches of one
    job (see ``job_batches``), as ``metagrad.experiments.shards`` asks."""
    problem = make_problem(cfg, section)
    L = problem.lifetime_length
    etas = eta_grid(section["grid_low"], section["grid_high"], section["grid_size"])
    root = experiment_key(cfg, name)
    n = section["samples_per_batch"]
    settings = mg_settings(section, L)
    reference = settings.index(MGSetting(L - 1, 1.0))
    rb_problem = make_problem(cfg, section, outer_terms_form=section["rb_outer_terms"],
                              correction_baseline=section["rb_baseline"])
    # (group, estimator, batches, samples per batch, key index): equal key indices share keys,
    # so mg_rb sees the raw estimators' lifetimes and fd_check the reference's tasks and noise
    jobs = [("mg", make_mg(problem, settings, section["lifetimes_per_sample"]),
             section["mg_batches"], n, 0),
            ("mg_rb", with_paired_differences(
                make_mg(rb_problem, settings, section["lifetimes_per_sample"]), reference),
             section["rb_batches"], n, 0)]
    if section["include_es"]:
        jobs.append(("es", make_es(problem, section["truncation_lengths"], section["es_sigma"]),
                     section["es_batches"], n, 1))
        if section["es_rb_batches"]:
            jobs.append(("es_rb", with_measure(make_es(
                rb_problem, section["truncation_lengths"], section["es_sigma"],
                common_random_numbers=True), "rb", "es_rb"), section["es_rb_batches"], n, 1))
    # the reference keeps Gumbel-max common random numbers: 3-5x less FD variance
    fd_problem = problem.with_action_sampler("gumbel")
    jobs.append(("fd", make_fd(fd_problem, section["fd_epsilon"]), section["fd_batches"],
                 section["fd_samples_per_batch"], 2))
    if section["fd_check_batches"]:
        jobs.append(("fd_check", with_smoothing_check(fd_problem, section["fd_epsilon"],
                                                      section["fd_check_epsilon"]),
                     section["fd_check_batches"], section["fd_samples_per_batch"], 2))
    assert [(job[0], job[2]) for job in jobs] == job_batches(section)
    indices = {job[0]: None for job in jobs} if shard is None else {shard[0]: list(shard[1])}
    jobs = [job for job in jobs if job[0] in indices]
    progress.set_total(sum(job[2] if indices[job[0]] is None else len(indices[job[0]])
                           for job in jobs))
    tables = []
    for group, estimator, num_batches, batch_size, key_index in jobs:
        table = sample_batches(estimator, etas, num_batches, batch_size,
                               jax.random.fold_in(root, key_index), group, progress,
                               Checkpoint(checkpoint_dir, group), batch_indices=indices[group])
        tables.append(table)
    table = pd.concat(tables, ignore_index=True)
    table.loc[table["estimator"] == "fd", "truncation_length"] = L - 1
    if "measure" not in table.columns:
        table["measure"] = "raw"
    table["measure"] = table["measure"].fillna("raw")
    table["lifetime_length"] = L
    return table

