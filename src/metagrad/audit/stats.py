"""The audit's statistics engine: one-sided tests, Holm families, intervals, sample-size projections.

Every test is one-sided: the claim says ``estimate`` > ``threshold`` (direction "greater") or
< ``threshold`` ("less"). A claim's tests form a family at level α:

* the claim holds when every required test rejects its null, Holm–Bonferroni over the required
  tests (Holm 1979);
* the claim fails when some test is significantly *reversed*, Holm over every test's reversed
  one-sided p-value.

Each test's interval is printed at the levels that decide it: its claim-side bound at the level
at which Holm tested it for the claim, its other bound at the level at which Holm tested it for a
reversal. So the interval excludes the threshold on the claim side exactly when the test holds,
and on the other side exactly when it is reversed. Reversals significant at the unadjusted α only
are flagged, never counted.

Sample-size projections (inconclusive claims): ``n = n_now · ((q_{1−level} + q_{power}) · se /
sesoi)²`` (se ∝ 1/√n) with the quantiles q at the projected size: normal, or Student t at the
projected degrees of freedom for tests over seeds, never the t quantile of the current few
seeds. A test whose estimate lies on the wrong side of its threshold gets a regime warning
instead: more samples would confirm the reversal, not the claim.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from metagrad import metrics as M

__all__ = ["Test", "Holm", "Family", "holm", "evaluate_family", "family_table", "projected_sample_size",
           "seed_test", "dominant_point"]


@dataclass
class Test:
    """One one-sided test. ``required=False``: only a significant reversal counts (fail); the
    claim does not need it to reject (e.g. C1 "no MG point significantly lower")."""

    __test__ = False  # not a pytest class

    label: str
    estimate: float
    se: float
    threshold: float = 0.0
    direction: str = "greater"
    sesoi: float | None = None         # smallest effect of interest (distance from threshold)
    n_now: float | None = None         # current sample size, in ``unit``
    unit: str = "samples per point"
    df: float | None = None            # Student t degrees of freedom (None: normal)
    required: bool = True
    info: dict = field(default_factory=dict)

    def z(self) -> float:
        """Signed distance from the threshold in standard errors, positive in the claimed direction."""
        d = float(self.estimate) - float(self.threshold)
        if self.direction == "less":
            d = -d
        se = float(self.se)
        if not math.isfinite(d) or not math.isfinite(se):
            return float("nan")
        if se <= 0:
            return 0.0 if d == 0 else math.copysign(math.inf, d)
        return d / se

    def _sf(self, z: float) -> float:
        if math.isnan(z):
            return 1.0
        return float(stats.t.sf(z, self.df) if self.df else stats.norm.sf(z))

    def p_claim(self) -> float:
        return self._sf(self.z())

    def p_reverse(self) -> float:
        z = self.z()
        return 1.0 if math.isnan(z) else self._sf(-z)

    def crit(self, level: float) -> float:
        return float(stats.t.isf(level, self.df) if self.df else stats.norm.isf(level))

    def wrong_sign(self) -> bool:
        """The estimate lies on the side of the threshold opposite to the claim."""
        return self.z() < 0

    def interval(self, claim_level: float, reverse_level: float) -> tuple[float, float]:
        """(low, high): the claim-side bound at ``claim_level``, the other at ``reverse_level``."""
        if not math.isfinite(float(self.se)):
            return float("nan"), float("nan")
        claim_side, other_side = self.crit(claim_level) * self.se, self.crit(reverse_level) * self.se
        if self.direction == "greater":
            return self.estimate - claim_side, self.estimate + other_side
        return self.estimate - other_side, self.estimate + claim_side


class Holm(NamedTuple):
    """Holm step-down: ``rejected``; ``level`` = α/(m − rank), the level each hypothesis needs once
    all smaller p-values are rejected; ``decided`` = the level it was actually tested at (the
    step-down stops at the first non-rejection, whose level then holds for every later one)."""

    rejected: np.ndarray
    level: np.ndarray
    decided: np.ndarray


def holm(pvalues, alpha: float) -> Holm:
    p = np.asarray(pvalues, float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    rejected = np.zeros(m, bool)
    level, decided = np.zeros(m), np.zeros(m)
    stop = None
    for rank, i in enumerate(order):
        level[i] = alpha / (m - rank)
        if stop is None and p[i] > level[i]:
            stop = level[i]
        rejected[i] = stop is None
        decided[i] = level[i] if stop is None else stop
    return Holm(rejected, level, decided)


@dataclass
class Family:
    """Verdict of a family of tests (see the module docstring); arrays are indexed like the tests."""

    verdict: str
    rejected: np.ndarray
    reversed: np.ndarray
    level: np.ndarray          # nominal Holm level of the claim test (used by projections)
    claim_level: np.ndarray    # level the claim side was decided at
    reverse_level: np.ndarray  # level the reversal was decided at
    unadjusted_reversals: list[int]
    weakest: int | None        # headline test
    wrong_sign: list[int]      # undecided required tests whose estimate has the wrong sign
    need: tuple | None         # (samples, test) of the hardest undecided required test


def evaluate_family(tests: list[Test], alpha: float, power: float = 0.80) -> Family:
    n = len(tests)
    req = [i for i, t in enumerate(tests) if t.required]
    rejected = np.zeros(n, bool)
    level, claim_level = np.full(n, alpha), np.full(n, alpha)
    if req:
        h = holm([tests[i].p_claim() for i in req], alpha)
        rejected[req], level[req], claim_level[req] = h.rejected, h.level, h.decided
    rev = holm([t.p_reverse() for t in tests], alpha)
    reversed_ = rev.rejected
    if reversed_.any():
        verdict = "fail"
    elif req and rejected[req].all():
        verdict = "pass"
    else:
        verdict = "inconclusive"
    pool = req or list(range(n))
    weakest = max(pool, key=lambda i: (tests[i].p_claim(), i)) if pool else None
    if verdict == "fail":
        weakest = max(np.flatnonzero(reversed_), key=lambda i: tests[i].p_claim())
    undecided = [i for i in req if not rejected[i] and not reversed_[i]]
    wrong = [i for i in undecided if tests[i].wrong_sign()]
    need = []
    for i in undecided:
        try:
            need.append((projected_sample_size(tests[i], level[i], power), tests[i]))
        except ValueError:
            continue
    unadjusted = [i for i, t in enumerate(tests) if not reversed_[i] and t.p_reverse() <= alpha]
    return Family(verdict, rejected, reversed_, level, claim_level, rev.decided, unadjusted, weakest,
                  wrong, max(need, key=lambda x: x[0]) if need else None)


def projected_sample_size(t: Test, level: float, power: float = 0.80) -> int:
    """Samples (in ``t.unit``) at which an effect of ``t.sesoi`` is detected at ``level`` with
    ``power``, se ∝ 1/√n: normal quantiles, or for a t test the t quantiles at the projected
    degrees of freedom (the smallest n that suffices). ValueError where undefined."""
    if not t.sesoi or not t.n_now or t.wrong_sign():
        raise ValueError(f"no projection for {t.label!r} (no SESOI, no current size, or wrong sign)")
    n_now = int(round(t.n_now))

    def need(df=None) -> int:
        q = (lambda a: stats.t.isf(a, df)) if df else stats.norm.isf
        return M.required_sample_size(t.sesoi, t.se, n_now, z=q(level) + q(1.0 - power))

    lo = need()
    if not t.df:
        return lo
    lost = n_now - t.df                       # n − df (1 for a mean over seeds)
    enough = lambda n: need(max(n - lost, 1)) <= n  # noqa: E731  (monotone in n)
    hi = max(lo, need(max(lo - lost, 1)))
    while not enough(hi):
        hi *= 2
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if enough(mid) else (mid + 1, hi)
    return lo


def _result(t: Test, fam: Family, i: int) -> str:
    if fam.reversed[i]:
        return "reversed"
    if fam.rejected[i]:
        return "holds"
    out = "undecided" if t.required else "not reversed"
    return out + (" (reversed at unadjusted α)" if i in fam.unadjusted_reversals else "")


def family_table(tests: list[Test], fam: Family) -> pd.DataFrame:
    rows = []
    for i, t in enumerate(tests):
        lo, hi = t.interval(fam.claim_level[i], fam.reverse_level[i])
        rows.append({
            "test": t.label, "claim": f"{'>' if t.direction == 'greater' else '<'} {t.threshold:.4g}",
            "estimate": t.estimate, "se": t.se, "ci_low": lo, "ci_high": hi,
            "claim_level": fam.claim_level[i], "reverse_level": fam.reverse_level[i],
            "p": t.p_claim(), "result": _result(t, fam, i),
            **{k: v for k, v in t.info.items() if np.isscalar(v)},
        })
    return pd.DataFrame(rows)


def seed_test(values_a: pd.Series, values_b: pd.Series, label: str, direction: str,
              threshold: float, sesoi: float, se_a=None, se_b=None) -> Test:
    """Paired test of mean(a − b) over seeds (indexes align); Student t over seeds, or with a
    single seed the evaluation standard errors (marked ``evaluation_se_only``)."""
    d = (values_a - values_b).dropna()
    n = len(d)
    info = {"seeds": n}
    if n >= 2:
        se, df = float(d.std(ddof=1) / math.sqrt(n)), n - 1
    else:
        se = float(np.sqrt(np.nanmean(se_a) ** 2 + np.nanmean(se_b) ** 2)) if se_a is not None else float("nan")
        df, info["evaluation_se_only"] = None, True
    est = float(d.mean()) if n else float("nan")
    return Test(label, est, se, threshold, direction, sesoi, max(n, 1), unit="seeds", df=df, info=info)


def dominant_point(values, ses) -> tuple[int, float]:
    """(index, share) of the grid point carrying the largest share of a grid mean: the larger of
    its share of Σ|value| (the mean's size) and of Σ se² (the mean's sampling variance)."""
    v, s2 = np.abs(np.asarray(values, float)), np.square(np.asarray(ses, float))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.fmax(np.nan_to_num(v / v.sum()), np.nan_to_num(s2 / s2.sum()))
    i = int(np.argmax(share))
    return i, float(share[i])
