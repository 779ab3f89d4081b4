"""Claim on the maze's advantage in the outer loss (figure 9): C11."""

from __future__ import annotations

from metagrad.audit.settings import AuditSettings
import math

from metagrad.audit.stats import Test, holm, seed_test
from metagrad.audit.store import MissingTable
from metagrad.audit.verdict import finish

__all__ = ["check_c11", "MAZE_TABLE", "MAZE_COLUMNS"]

MAZE_TABLE = "maze_gradients/maze_gradients"
MAZE_COLUMNS = ("variant", "w", "seed", "mean", "std")


def pooled_difference(a, b, label):
    """Normal test of mean(a) − mean(b) over every agent of every seed: seeds are independent and
    equally sized, so the pooled s.e. is sqrt(Σ_seeds se_a² + se_b²) / n_seeds (agent-level
    standard errors, ``se`` column), far more power than a t over 3 seeds. ``a``/``b``: rows of one
    w, indexed by seed."""
    n = len(a)
    est = float((a["mean"] - b["mean"]).mean())
    se = math.sqrt(float((a["se"] ** 2).sum() + (b["se"] ** 2).sum())) / n
    return Test(label, est, se, 0.0, "greater", 0.0, n, unit="seeds (agent-level s.e.)")


def check_c11(tables, cfg):
    """Expected table ``maze_gradients/maze_gradients.parquet``
    (:mod:`metagrad.experiments.maze_gradients`): one row per (variant ∈ {no_advantage,
    with_advantage, fd, with_minus_no}, w, seed) with ``mean`` (mean meta-gradient over the
    cell's agents), ``se`` (its s.e.) and ``std`` (std of one sample of ``agents_per_sample``
    agents; not used for fd). Std: paired over seeds (both variants on the same agents). Bias:
    each MG variant against FD (independent agents), pooled over seeds, two-sided, Holm over w."""
    s = AuditSettings.from_cfg(cfg)
    df = tables.get(MAZE_TABLE)
    missing = [c for c in MAZE_COLUMNS if c not in df.columns]
    if missing:
        raise MissingTable(f"{MAZE_TABLE} (expected columns {MAZE_COLUMNS}; missing {missing})")
    piv = {v: g.set_index(["w", "seed"]) for v, g in df.groupby("variant")}
    ws = sorted(df["w"].unique())
    at = lambda variant, w: piv[variant].xs(w, level="w")  # noqa: E731
    tests = [seed_test(at("with_advantage", w)["std"], at("no_advantage", w)["std"],
                       f"w={w:.3g}: std(with) − std(no)", "less", 0.0, 0.1 * float(at("no_advantage", w)["std"].mean()))
             for w in ws]
    biased = {}
    for v in ("with_advantage", "no_advantage"):
        p = []
        for w in ws:
            t = pooled_difference(at(v, w), at("fd", w), f"w={w:.3g}: {v} − FD")
            p.append(2 * min(t.p_claim(), t.p_reverse()))
        biased[v] = holm(p, s.alpha).rejected
    rej_with, rej_no = biased["with_advantage"], biased["no_advantage"]
    notes = [f"'With advantage' differs significantly from FD at {int(rej_with.sum())}/{len(rej_with)} w, "
             f"'no advantage' at {int(rej_no.sum())}/{len(rej_no)} (two-sided, Holm)."]
    res = finish("C11", tests, s, "paired std difference (with − no advantage) per w", "", notes)
    if res.verdict == "pass" and not (rej_with.any() and not rej_no.any()):
        res.verdict = "inconclusive" if not rej_no.any() else "fail"
        res.notes.append("The bias part (with advantage biased, no advantage not) does not hold.")
    return res
