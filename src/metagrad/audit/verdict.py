"""A claim's verdict record, and the one way a family of tests becomes one."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from metagrad.audit.settings import AuditSettings
from metagrad.audit.stats import Test, evaluate_family, family_table

__all__ = ["VERDICTS", "ClaimResult", "finish", "fmt"]

VERDICTS = ("pass", "fail", "inconclusive", "not_run")


def fmt(x, digits=3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "nan"
    return f"{x:.{digits}g}"


@dataclass
class ClaimResult:
    claim: str
    figure: str
    statement: str
    statistic: str
    value: float = float("nan")
    ci_low: float = float("nan")
    ci_high: float = float("nan")
    paper_value: str = ""
    verdict: str = "not_run"
    detail: str = ""
    notes: list[str] = field(default_factory=list)
    tests: pd.DataFrame | None = None
    evidence: list[str] = field(default_factory=list)   # extra Markdown lines for the summary

    def row(self) -> dict:
        detail = " ".join([self.detail, *self.notes]).strip()
        return {"claim": self.claim, "figure": self.figure, "statement": self.statement,
                "statistic": self.statistic, "value": self.value, "ci_low": self.ci_low,
                "ci_high": self.ci_high, "paper_value": self.paper_value,
                "verdict": self.verdict, "detail": detail}


def _labels(tests: list[Test], idx) -> str:
    return "; ".join(f"'{tests[i].label}'" for i in idx)


def finish(claim_id: str, tests: list[Test], s: AuditSettings, statistic: str, summary: str,
           notes=()) -> ClaimResult:
    """ClaimResult of a family: headline = the weakest required test (the reversed one on a fail),
    with its interval at the levels that decide it (see :mod:`metagrad.audit.stats`)."""
    fam = evaluate_family(tests, s.alpha, s.power)
    table = family_table(tests, fam)
    res = ClaimResult(claim=claim_id, figure="", statement="", statistic=statistic,
                      verdict=fam.verdict, notes=list(notes), tests=table)
    if fam.weakest is not None:
        t = tests[fam.weakest]
        res.value = float(t.estimate)
        res.ci_low, res.ci_high = (float(x) for x in table.loc[fam.weakest, ["ci_low", "ci_high"]])
        res.statistic = f"{statistic} [{t.label}]"
    n_req = sum(t.required for t in tests)
    n_rev = int(fam.reversed.sum())
    txt = (f"{summary} {int(fam.rejected.sum())}/{n_req} required one-sided tests hold at family level "
           f"α = {s.alpha} (Holm)")
    txt += f", {n_rev} significantly reversed." if n_rev else ", none significantly reversed."
    if fam.verdict == "fail":
        txt += f" Reversed: {_labels(tests, fam.reversed.nonzero()[0])}."
    if fam.unadjusted_reversals:
        txt += (f" Reversed at unadjusted α = {s.alpha} only (not after Holm): "
                f"{_labels(tests, fam.unadjusted_reversals)}.")
    if fam.verdict == "inconclusive":
        if fam.wrong_sign:
            txt += (f" Regime warning: the estimate lies on the wrong side of the threshold for "
                    f"{_labels(tests, fam.wrong_sign)}; more samples would sooner confirm a reversal "
                    f"than the claim, so no sample size is projected (this profile may be in another "
                    f"regime than the paper).")
        elif fam.need is not None and fam.need[0] <= round(fam.need[1].n_now):
            t = fam.need[1]
            txt += (f" Already powered: at the current {int(round(t.n_now)):,} {t.unit} every undecided "
                    f"test has {s.power:.0%} power for its smallest effect of interest (hardest "
                    f"'{t.label}': {fmt(t.sesoi)}, measured se {fmt(t.se)}, estimate "
                    f"{fmt(t.estimate - t.threshold)} from its threshold). The effect, if any, is "
                    f"smaller than that: more samples would resolve only an effect below the "
                    f"smallest one of interest.")
        elif fam.need is not None:
            n, t = fam.need
            i = tests.index(t)
            txt += (f" Would be decided at about {n:,} {t.unit} (now {int(round(t.n_now)):,}; hardest "
                    f"test '{t.label}': smallest effect of interest {fmt(t.sesoi)}, measured se "
                    f"{fmt(t.se)}, Holm level {fam.level[i]:.3g}, {s.power:.0%} power).")
        else:
            txt += " No sample size follows from the tests' spread (see the notes)."
    heavy = [t for t in tests if "heavy_tail_share" in t.info]
    for t in heavy:
        res.notes.append(
            f"Heavy tail: one grid point carries {t.info['heavy_tail_share']:.0%} of the grid mean of "
            f"'{t.label}' (rule: > {s.heavy_tail_share:.0%} of Σ|point value| or of its sampling "
            f"variance, grids of ≥ {s.heavy_tail_min_points} points), so that grid mean ({fmt(t.info['grid_mean'])} ± {fmt(t.info['grid_mean_se'])}) "
            f"says little about the grid; the test uses the median over points instead.")
    res.detail = txt
    return res
