"""Brax claims B1-B6 (ours, beyond the paper; spec section 7), registered before the default
results were looked at. They test the bandit's frontier findings on a physics task with the same
machinery (:class:`metagrad.audit.frontier_data.Frontier` on the ``brax_frontier`` tables):

- B1 untruncated c = 1 with the history baseline is unbiased (as C1);
- B2 variance rises with c (every truncation > 1) and with the meta-discount (c = 1);
- B3 the history baseline cuts the correction's variance >= 10x without moving its mean;
- B4 naive has the lowest variance of all MG points and is biased;
- B5 ES has cosine > 0.9 with FD and its variance falls as the window grows;
- B6 DiCE has more variance than naive.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from metagrad.audit.claims import frontier as F
from metagrad.audit.frontier_data import frontier
from metagrad.audit.settings import AuditSettings
from metagrad.audit.stats import Test
from metagrad.audit.store import MissingTable
from metagrad.audit.verdict import finish, fmt

SECTION = "brax_frontier"
TABLES = (f"{SECTION}/frontier_aggregate", f"{SECTION}/frontier_points", f"{SECTION}/{SECTION}")
RATIO = 10.0     # B3: the variance reduction the baseline must reach


class SectionView:
    """A table store whose ``frontier_L80/*`` tables are another section's (so the bandit's
    claim checks run unchanged on the Brax frontier)."""

    def __init__(self, store, section: str, alias: str = "frontier_L80"):
        self.store, self.section, self.alias = store, section, alias
        self.memo = {}

    def _key(self, key: str) -> str:
        key = key.replace(f"{self.alias}/{self.alias}", f"{self.section}/{self.section}", 1)
        return key.replace(f"{self.alias}/", f"{self.section}/", 1)

    def has(self, key):
        return self.store.has(self._key(key))

    def get(self, key):
        return self.store.get(self._key(key))

    def cached(self, key, compute):
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]


def _frontier(tables, cfg):
    return frontier(tables, cfg, SECTION)


def check_b1(tables, cfg):
    return F.check_c1(SectionView(tables, SECTION), cfg)


def check_b2(tables, cfg):
    s = AuditSettings.from_cfg(cfg)
    f = _frontier(tables, cfg)
    tests = []
    for t in sorted(int(x) for x in f.agg["truncation_length"].unique() if x > 1):
        chain = sorted(f.mg(truncation_length=t, meta_discount=1.0), key=lambda k: f.value(k, "coefficient"))
        tests += F._variance_steps(f, chain, "greater", lambda a, b, t=t: (
            f"trunc {t}: c {f.value(a, 'coefficient'):g}→{f.value(b, 'coefficient'):g}"))
        gammas = sorted(f.mg(truncation_length=t, coefficient=1.0),
                        key=lambda k: f.value(k, "meta_discount"))
        if len(gammas) > 1:
            tests += F._variance_steps(f, gammas, "greater", lambda a, b, t=t: (
                f"trunc {t}: γm {f.value(a, 'meta_discount'):g}→{f.value(b, 'meta_discount'):g}"))
    if not tests:
        raise MissingTable(f"{SECTION}/frontier_aggregate (no truncation > 1)")
    return finish("B2", tests, s, "paired grid-mean variance difference, adjacent c and γm",
                  f"{len(tests)} adjacent steps (paired batch bootstrap).")


def _mean_shift(raw: pd.DataFrame, sid: str) -> tuple[float, float, int]:
    """Paired shift of a setting's batch means with and without the baseline (same lifetimes):
    (chi-square over points x coordinates, its p-value, degrees of freedom)."""
    a = raw[(raw["setting_id"] == sid) & (raw["pairing_group"] == "mg")]
    b = raw[(raw["setting_id"] == f"{sid}_rb") & (raw["pairing_group"] == "mg_rb")]
    keys = ["eta_index", "batch"]
    m = a.merge(b, on=keys, suffixes=("", "_rb"))
    cols = sorted(c for c in raw.columns if c.startswith("mean_"))
    chi2, df = 0.0, 0
    for _, g in m.groupby("eta_index"):
        for c in cols:
            d = (g[c] - g[f"{c}_rb"]).to_numpy()
            if len(d) < 2:
                continue
            se = d.std(ddof=1) / math.sqrt(len(d))
            if se > 0:
                chi2 += (d.mean() / se) ** 2
                df += 1
    return chi2, float(stats.chi2.sf(chi2, df)) if df else float("nan"), df


def check_b3(tables, cfg):
    s = AuditSettings.from_cfg(cfg)
    f = _frontier(tables, cfg)
    raw = tables.get(f"{SECTION}/{SECTION}")
    # (at truncation 1 the correction has no effect: nothing for the baseline to reduce)
    corrected = [k for k in f.mg() if f.value(k, "coefficient") > 0
                 and f.truncation(k) > 1 and f"{k}_rb" in f.agg.index]
    if not corrected:
        raise MissingTable(f"{SECTION}/frontier_aggregate (no corrected settings with baseline rows)")
    tests, shifts = [], []
    for k in corrected:
        tests.append(f.test(k, f"{k}_rb", "log_variance", "greater",
                            f"log10 variance({f.label(k)}) − with baseline > log10 {RATIO:g}",
                            threshold=math.log10(RATIO), sesoi=math.log10(2.0)))
        shifts.append((k, *_mean_shift(raw, k)))
    res = finish("B3", tests, s, "paired log-variance reduction by the history baseline",
                 f"Variance ratio ≥ {RATIO:g}x at every corrected setting (log of the grid-mean "
                 "geometric ratio); the mean shift with and without the baseline on the same lifetimes "
                 "by a chi-square over points x coordinates (Holm over settings).")
    p = np.array([x[2] for x in shifts])
    order = np.argsort(p)
    rejected = [shifts[i] for rank, i in enumerate(order) if p[i] < s.alpha / (len(p) - rank)]
    res.notes.append("Mean shift (chi-square, df, p): " + "; ".join(
        f"{f.label(k)} {c:.1f}/{d} p={pv:.2g}" for k, c, pv, d in shifts) + ".")
    if rejected:
        res.verdict = "fail"
        res.notes.append("The baseline moved the mean of: " + ", ".join(f.label(k) for k, *_ in rejected)
                         + " (an unbiased control variate cannot).")
    means = raw.filter(like="mean_")
    bad = raw.loc[~np.isfinite(means.to_numpy(float)).all(axis=1)]
    res.notes.append("Non-finite batch means (a non-finite sample makes its batch's mean non-finite): "
                     + (", ".join(f"{sid} {n}" for sid, n in bad.groupby("setting_id").size().items())
                        if len(bad) else f"none of {len(raw)} batch rows") + ".")
    ratios = [10 ** (f.value(k, "log_variance") - f.value(f"{k}_rb", "log_variance")) for k in corrected]
    res.notes.append("Variance ratios (geometric over points): " + ", ".join(
        f"{f.label(k)} {r:.3g}x" for k, r in zip(corrected, ratios)) + ".")
    return res


def check_b4(tables, cfg):
    s = AuditSettings.from_cfg(cfg)
    f = _frontier(tables, cfg)
    nv = f.naive
    delta, how = f.bias_scale(s.bias_scale_fraction)
    tests = [f.test(o, nv, "variance", "greater", f"variance({f.label(o)}) − variance(naive)",
                    sesoi=s.variance_fraction * (f.value(o, "variance") + f.value(nv, "variance")) / 2)
             for o in f.mg() if o != nv and not f.identical(o, nv)]
    v = f"{nv}_rb" if f"{nv}_rb" in f.agg.index else nv
    tests.append(f.level_test(v, "bias_corrected", 0.0, "greater", "noise-corrected bias(naive) > 0",
                              sesoi=delta))
    return finish("B4", tests, s, "naive: paired variance differences; bias against FD",
                  f"Bias scale δ = {fmt(delta)} ({how}).")


def check_b5(tables, cfg):
    s = AuditSettings.from_cfg(cfg)
    f = _frontier(tables, cfg)
    es = sorted(f.es, key=f.truncation)
    if not es:
        raise MissingTable(f"{SECTION}/frontier_aggregate (no ES settings)")
    pooled = "cosine_pooled_fd" in f.agg.columns
    if pooled:   # always defined (as C7): sums over points before the norms are debiased
        tests = [F.pooled_cosine_test(f, s, k, "cosine_pooled_fd", s.cosine_threshold, "greater",
                                      f"{f.label(k)} vs FD") for k in es]
    else:
        points = tables.get(f"{SECTION}/frontier_points")
        tests = [F.per_point_cosine_test(f, s, points, k, s.cosine_threshold, "greater")[0]
                 for k in es]
    tests += F._variance_steps(f, es, "less", lambda a, b: f"ES variance trunc {f.truncation(a)}→{f.truncation(b)}")
    how = ("grid-pooled noise-corrected cosine to FD, as C7" if pooled else
           "grid mean of per-point noise-corrected cosines")
    return finish("B5", tests, s, "ES: noise-corrected cosine to FD; paired variance steps",
                  f"Cosine: {how}; ES settings share their pairs.")


def check_b6(tables, cfg):
    s = AuditSettings.from_cfg(cfg)
    f = _frontier(tables, cfg)
    d, nv = f.dice, f.naive
    tests = [f.test(d, nv, "variance", "greater", "variance(DiCE) − variance(naive)",
                    sesoi=s.variance_fraction * (f.value(d, "variance") + f.value(nv, "variance")) / 2)]
    return finish("B6", tests, s, "paired variance difference DiCE − naive", "One paired test.")
