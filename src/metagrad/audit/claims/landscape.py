"""Claim on the return landscape (figure 1): C12.

The landscape evaluates every grid point on the same bandits (per seed and, where the table has
an ``iteration`` column, per iteration), so a point's distance to the maximum is a paired
difference over those batches.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from metagrad.audit.settings import AuditSettings
from metagrad.audit.stats import Test
from metagrad.audit.verdict import finish, fmt

__all__ = ["check_c12", "near_max", "point_means"]


def point_means(land: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Mean reward per grid point over its rows (seeds, iterations) and its standard error from
    the rows' evaluation standard errors."""
    g = land.groupby(["eta_0", "eta_1"])
    return g["mean_reward"].mean(), np.sqrt(g["mean_reward_se"].apply(lambda x: float(np.sum(np.square(x))))) / g.size()


def near_max(land: pd.DataFrame, alpha: float, min_batches: int = 5) -> tuple[pd.Series, str]:
    """Grid points not significantly below the maximum (a boolean Series over (eta_0, eta_1)) and
    how that was tested: paired differences to the argmax over the shared-bandit batches, (seed,
    iteration) when the table has iterations, else seeds; Student t at α/2 per side. With fewer
    than ``min_batches`` batches (t with < 4 df: 2 seeds give t = 12.7), unpaired: the evaluation
    standard errors combined, conservative since shared bandits correlate the points positively."""
    keys = ["seed", "iteration"] if "iteration" in land.columns else ["seed"]
    piv = land.pivot_table(index=["eta_0", "eta_1"], columns=keys, values="mean_reward")
    mean = piv.mean(axis=1)
    imax = mean.idxmax()
    if piv.shape[1] >= min_batches:
        d = piv - piv.loc[imax]
        nb = d.notna().sum(axis=1)
        se = d.std(axis=1, ddof=1) / np.sqrt(nb)
        crit = stats.t.isf(alpha / 2, np.maximum(nb - 1, 1))
        near = (d.mean(axis=1) + crit * se.fillna(0) >= 0) | (d.index == imax)
        return near, (f"paired over {piv.shape[1]} ({', '.join(keys)}) batches of shared bandits, "
                      f"t with {int(nb.max()) - 1} df")
    mean, se = point_means(land)
    near = mean >= mean[imax] - stats.norm.isf(alpha / 2) * np.sqrt(se ** 2 + se[imax] ** 2)
    return near, f"unpaired: {piv.shape[1]} batches are too few to pair, evaluation standard errors combined"


def check_c12(tables, cfg):
    s = AuditSettings.from_cfg(cfg)
    land = tables.get("landscape/landscape")
    mean, se = point_means(land)
    n_point = float(land.groupby(["eta_0", "eta_1"])["num_lifetimes"].sum().median())  # lifetimes behind one point's mean
    imax, imin = mean.idxmax(), mean.idxmin()
    vmax, vmin = float(mean[imax]), float(mean[imin])
    lo_b, hi_b = s.landscape_max_band
    tests = [Test(label, v, float(se[i]), thr, direction, s.landscape_sesoi, n_point, unit="lifetimes per grid point")
             for label, v, i, thr, direction in (
                 (f"max > {lo_b}", vmax, imax, lo_b, "greater"), (f"max < {hi_b}", vmax, imax, hi_b, "less"),
                 (f"min < {s.landscape_min_max}", vmin, imin, s.landscape_min_max, "less"))]
    near, how = near_max(land, s.alpha, s.landscape_min_paired_batches)
    near = near[near].index
    c0, c1 = s.landscape_argmax
    tol = s.landscape_argmax_tol
    inbox = [(abs(a - c0) <= tol and abs(b - c1) <= tol) for a, b in near]
    arg_ok = abs(imax[0] - c0) <= tol and abs(imax[1] - c1) <= tol
    res = finish("C12", tests, s, "landscape maximum / minimum (mean over seeds)",
                 f"Bands: max in [{lo_b}, {hi_b}], argmax within ±{tol} of ({c0}, {c1}), min < "
                 f"{s.landscape_min_max}.")
    z = stats.norm.isf(s.alpha / 2)
    res.value, res.statistic = vmax, "landscape maximum (mean reward per pull, 95 % CI)"
    res.ci_low, res.ci_high = vmax - z * float(se[imax]), vmax + z * float(se[imax])
    spacing = np.diff(np.sort(land["eta_0"].unique()))
    res.notes.append(f"Max {fmt(vmax)} ± {fmt(float(se[imax]))} at η = ({imax[0]:.3g}, {imax[1]:.3g}); "
                     f"min {fmt(vmin)} ± {fmt(float(se[imin]))} at η = ({imin[0]:.3g}, {imin[1]:.3g}); "
                     f"{len(near)} grid points are indistinguishable from the max ({how}), {sum(inbox)} of them "
                     f"in the box; grid spacing {fmt(float(spacing.min()) if len(spacing) else float('nan'))}.")
    if not arg_ok:
        if not any(inbox):
            res.verdict = "fail"
            res.notes.append("The argmax and every point indistinguishable from it lie outside the box.")
        elif res.verdict == "pass":
            res.verdict = "inconclusive"
            res.notes.append("The argmax lies outside the box, but points indistinguishable from it lie inside.")
    elif res.verdict == "pass" and not all(inbox):
        res.notes.append("Some points indistinguishable from the max lie outside the box (a flat ridge).")
    return res
