"""Synthetic tables whose truth is known, for the audit tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from metagrad.audit import TableStore
from metagrad.metrics import frontier_metrics
from metagrad.names import mg_code

REPO = Path(__file__).resolve().parents[2]
L = 80
CFG = {"profile": "synthetic", "seed": 0, "audit": {"num_bootstrap": 200}}
G_STAR = np.array([1.0, -0.5])


def _rows(p, sid, meta, x, extra=None):
    return [{"eta_index": p, "eta_0": float(p), "eta_1": 0.0, "setting_id": sid, **meta, "batch": b,
             "num_samples": x.shape[1], "mean_0": x[b, :, 0].mean(), "mean_1": x[b, :, 1].mean(),
             "var_0": x[b, :, 0].var(ddof=1), "var_1": x[b, :, 1].var(ddof=1), **(extra or {})}
            for b in range(x.shape[0])]


def synthetic_frontier(variance, bias=lambda t, c: 0.0, n=256, batches=8, shared=True, seed=0,
                       ts=(1, 20, 79), cs=(0.0, 0.5, 1.0), points=4, es=None, ref_noise=0.01,
                       point_variance=None, mg_estimator=mg_code, dice_variance=None):
    """Frontier tables (raw, points, aggregate) of MG settings with per-sample variance
    ``variance(t, c)`` (trace, split over 2 coordinates) and mean g* + sqrt(bias)(1, 1) (so the
    paper's bias metric = bias(t, c)); ``shared``: every MG setting scales the SAME standard-normal
    draws (paired samples). ``es``: {truncation: variance} of unbiased ES settings (own draws);
    ``point_variance(p, t, c)``: a per-point factor on the variance; ``ref_noise``: std of the FD
    reference samples (4 n per batch); ``mg_estimator(c, gamma, t)``: the code written;
    ``dice_variance(p)``: adds an untruncated, unbiased DiCE setting (paired with MG) of this
    per-sample variance at point p."""
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(points):
        base = rng.standard_normal((batches, n, 2))
        for t in ts:
            for c in cs:
                z = base if shared else rng.standard_normal((batches, n, 2))
                scale = point_variance(p, t, c) if point_variance else 1.0
                x = G_STAR + np.sqrt(bias(t, c)) + np.sqrt(scale * variance(t, c) / 2) * z
                meta = {"estimator": mg_estimator(c, 1.0, t), "truncation_length": t, "coefficient": c,
                        "meta_discount": 1.0, "hessian": "none", "pairing_group": "mg"}
                rows += _rows(p, f"mg_k{t}_c{c:g}_g1", meta, x)
        if dice_variance is not None:
            x = G_STAR + np.sqrt(dice_variance(p) / 2) * base
            meta = {"estimator": "dice", "truncation_length": ts[-1], "coefficient": 0.0,
                    "meta_discount": 1.0, "hessian": "dice", "pairing_group": "mg"}
            rows += _rows(p, f"dice_k{ts[-1]}", meta, x)
        for t, v in (es or {}).items():
            x = G_STAR + np.sqrt(v / 2) * rng.standard_normal((batches, n, 2))
            meta = {"estimator": "es", "truncation_length": t, "coefficient": np.nan, "meta_discount": np.nan,
                    "hessian": "none", "pairing_group": "es"}
            rows += _rows(p, f"es_k{t}", meta, x)
        x = G_STAR + ref_noise * rng.standard_normal((batches, 4 * n, 2))
        meta = {"estimator": "fd", "truncation_length": L - 1, "coefficient": np.nan, "meta_discount": np.nan,
                "hessian": "none", "pairing_group": "fd"}
        rows += _rows(p, "fd_e0.01", meta, x)
    raw = pd.DataFrame(rows)
    raw["lifetime_length"] = L
    pts, agg = frontier_metrics(raw[raw.pairing_group != "fd"], raw[raw.pairing_group == "fd"],
                                num_bootstrap=200, num_grid_bootstrap=200)
    for f in (pts, agg):
        f["lifetime_length"] = L
    return {"frontier_L80/frontier_L80": raw, "frontier_L80/frontier_points": pts,
            "frontier_L80/frontier_aggregate": agg}


def run_claim(claim_id: str, tables, cfg=CFG):
    """Run one claim on ``tables``: a TableStore, or a dict of frames."""
    from metagrad.audit import CLAIMS

    store = tables if isinstance(tables, TableStore) else TableStore(frames=tables)
    return next(c for c in CLAIMS if c.id == claim_id).run(store, cfg)


def training(rewards: dict, seeds=3, updates=(0, 50, 100), noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    rows, run = [], 0
    for est, final in rewards.items():
        for s in range(seeds):
            for u in updates:
                r = 0.2 + (final - 0.2) * u / updates[-1] + noise * rng.standard_normal()
                rows.append({"estimator": est, "truncation_length": 29, "coefficient": 1.0, "meta_discount": 1.0,
                             "learning_rate": 0.01, "eta0_0": 2.0, "eta0_1": 2.0, "start_index": 0, "seed": s,
                             "run_id": run, "update": u, "eta_0": 2.0, "eta_1": 2.0,
                             "mean_reward": r + 0.001 * s, "mean_reward_se": 0.002, "optimizer": "sgd",
                             "bandits_per_update": 4, "eval_bandits": 16})
            run += 1
    return pd.DataFrame(rows)


def landscape(j, grid=np.linspace(-5, 15, 21), seeds=2, iterations=None, offset=0.0, noise=0.0, se=0.002, seed=0):
    """Landscape rows J = j(a, b) + a per-batch offset shared by every point (the same bandits
    at every point: ``offset`` std) + independent ``noise``; one row per (point, seed[, iteration])."""
    rng = np.random.default_rng(seed)
    its = range(iterations) if iterations else [None]
    shared = {(s, i): offset * rng.standard_normal() for s in range(seeds) for i in its}
    rows = []
    for a in grid:
        for b in grid:
            for s in range(seeds):
                for i in its:
                    row = {"eta_0": a, "eta_1": b, "seed": s,
                           "mean_reward": j(a, b) + shared[s, i] + noise * rng.standard_normal(),
                           "mean_reward_se": se, "num_lifetimes": 1000}
                    if iterations:
                        row["iteration"] = i
                    rows.append(row)
    return pd.DataFrame(rows)


def write_png(path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [0, 1])
    fig.savefig(path)
    plt.close(fig)
