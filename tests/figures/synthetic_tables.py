"""Small synthetic tables in the documented formats, for the figure and table tests (no
experiment runs)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

METRICS = ("bias_raw", "bias_corrected", "variance", "log_variance", "cosine")
# both config layouts: the task-keyed one and the earlier top-level "bandit" section
CFG = {"profile": "synthetic", "seed": 0, "tasks": {"bandit": {"num_arms": 30, "batch_size": 10}}}


def _metric_cols(bias, variance, cosine, noise=2e-5):
    row = {}
    for m, v in {"bias_raw": bias + noise, "bias_corrected": bias, "variance": variance,
                 "log_variance": np.log10(variance), "cosine": cosine}.items():
        e = abs(v) * 0.2 + 1e-6
        row.update({m: v, f"{m}_median": v * 0.9, f"{m}_grid_err": e, f"{m}_ci_low": v - 2 * e,
                    f"{m}_ci_high": v + 2 * e, f"{m}_boot_se": e})
    row.update({"num_points": 4, "samples_per_point": 32.0, "batches_per_point": 2.0, "noise_floor": noise})
    return row


def frontier_aggregate(L=80, truncations=(1, 20, 40, 79), coefficients=(0.2, 0.6, 1.0), discounts=(),
                       dice=True, es=True, mg_code="correction", dice_bias=1.2e-4, dice_cosine=0.7,
                       probes=None):
    """One row per setting, as :mod:`metagrad.summaries.frontier` writes it. ``mg_code``: the
    code of corrected MG rows ("correction"; "mg" in tables written before the vocabulary);
    ``probes``: (D, K) columns ``num_meta_params``, ``num_probes``."""
    rows = []

    def add(est, T, c, g, bias, var, cos, hessian="none", group="mg"):
        rows.append({"setting_id": f"{est}_k{T}_c{c}_g{g}", "estimator": est, "truncation_length": T,
                     "coefficient": c, "meta_discount": g, "hessian": hessian, "pairing_group": group,
                     **_metric_cols(bias, var, cos), "lifetime_length": L})

    for T in truncations:
        frac = T / (L - 1)
        naive_frac = 0.0 if T == 1 else frac
        add("naive", T, 0.0, 1.0, 4e-4 * (1 - 0.1 * naive_frac), 1e-3 * (1 + naive_frac), 0.5)
        for c in coefficients:  # truncation 1: every c identical to naive, as in the experiment
            b = 4e-4 if T == 1 else 4e-4 * (1 - c * frac)
            v = 1e-3 if T == 1 else 1e-3 + c * frac * 5
            add(mg_code, T, c, 1.0, b, v, 0.5 if T == 1 else 0.5 + 0.4 * c * frac)
        for g in discounts:
            if g < 1:
                add("naive" if g == 0 else mg_code, T, 1.0, g, 4e-4 * (1 - g * frac), 1e-3 + g * frac * 4,
                    0.5 + 0.3 * g * frac)
        if es:
            add("es", T, np.nan, np.nan, 1e-5, 30 / (1 + frac), 0.95, group="es")
    if dice:
        add("dice", L - 1, 0.0, 1.0, dice_bias, 100.0, dice_cosine, hessian="dice")
    df = pd.DataFrame(rows)
    if probes is not None:
        df["num_meta_params"], df["num_probes"] = probes
    return df


def frontier_points(agg):
    rows = [{"setting_id": r.setting_id, "eta_index": i, "estimator": r.estimator, "bias_raw": r.bias_raw,
             "variance": r.variance, "cosine": r.cosine} for r in agg.itertuples(index=False) for i in range(4)]
    return pd.DataFrame(rows)


def frontier_tables(agg):
    return {"frontier_points": frontier_points(agg), "frontier_aggregate": agg}


FRONTIER_SECTION = {"task": "bandit", "kind": "frontier", "lifetime_length": 80, "schedule_split_step": 8,
                    "grid_low": 0.5, "grid_high": 2.5, "grid_size": 2, "truncation_lengths": [1, 20, 40, 79],
                    "coefficients": [0.0, 0.2, 0.6, 1.0], "meta_discounts": [], "include_dice": True,
                    "include_es": True, "lifetimes_per_sample": 2, "es_sigma": 0.1, "fd_epsilon": 0.01,
                    "samples_per_batch": 16, "mg_batches": 3, "es_batches": 2, "fd_batches": 5,
                    "fd_samples_per_batch": 32, "scaling_note": "synthetic scaling note"}
L30_SECTION = {**FRONTIER_SECTION, "lifetime_length": 30, "schedule_split_step": 7,
               "truncation_lengths": [1, 8, 22, 29], "meta_discounts": [0.0, 0.5, 0.9, 1.0],
               "include_dice": False, "include_es": False, "grid_low": 1.0, "grid_high": 4.0}


def training_table(estimators, *, seeds=2, updates=(0, 50, 100), starts=((2.0, 2.0),), nan_run=None,
                   truncations=(29,), coefficients=(0.0,), optimizer="sgd", drift=None):
    """One row per evaluation of a meta-training run. At truncation 1 every c gives the same
    numbers (as the experiment does: the correction has no effect there). ``drift``: start index
    -> (d0, d1) added to that run's final eta (a runaway path)."""
    rows, run_id = [], 0
    for est, T, c, (si, (e0, e1)), seed in itertools.product(estimators, truncations, coefficients,
                                                             enumerate(starts), range(seeds)):
        effective_c = 0.0 if T == 1 else c
        d0, d1 = (drift or {}).get(si, (0.0, 0.0))
        for u in updates:
            f = u / max(updates)
            reward = 0.2 + 0.05 * f * (1 + effective_c) + 0.001 * seed
            if nan_run is not None and (est, seed) == nan_run and u == max(updates):
                reward = np.nan
            rows.append({"estimator": est, "truncation_length": T, "coefficient": c, "meta_discount": 1.0,
                         "learning_rate": 0.01, "eta0_0": e0, "eta0_1": e1, "start_index": si, "seed": seed,
                         "run_id": run_id, "update": u, "eta_0": e0 + 0.6 * f * (2.5 - e0) + f * d0,
                         "eta_1": e1 + 0.6 * f * (3.5 - e1) + f * d1, "mean_reward": reward,
                         "mean_reward_se": 0.01, "optimizer": optimizer, "bandits_per_update": 7,
                         "eval_bandits": 33})
        run_id += 1
    return pd.DataFrame(rows)


def landscape_table(n=8, seeds=2, noise=0.0):
    g = np.linspace(-5, 15, n)
    rng = np.random.default_rng(0)
    rows = [{"eta_0": a, "eta_1": b, "seed": s,
             "mean_reward": 0.26 - 0.002 * ((a - 2.5) ** 2 + (b - 3.5) ** 2) + 0.001 * s + noise * rng.normal(),
             "mean_reward_se": 0.01, "num_lifetimes": 64}
            for a, b, s in itertools.product(g, g, range(seeds))]
    return pd.DataFrame(rows)


TRAINING_SECTION = {"task": "bandit", "kind": "meta_training", "lifetime_length": 30, "schedule_split_step": 7,
                    "optimizer": "sgd", "num_updates": 100, "eval_every": 50, "bandits_per_update": 7,
                    "eval_bandits": 33, "num_seeds": 2, "fd_epsilon": 0.1,
                    "scaling_note": "synthetic scaling note"}
NINE_STARTS = [(a, b) for a in (1.0, 3.0, 5.0) for b in (1.0, 3.0, 5.0)]


def check_caption(caption, *needles):
    assert caption.startswith("Figure ")
    assert "synthetic" in caption  # the profile and the scaling note
    for n in needles:
        assert n in caption, (n, caption)


def artists(ax) -> int:
    return len(ax.lines) + len(ax.collections) + len(ax.images)
