"""Claims on meta-training runs (figures 2, 3, 6, 7): C8, C9.

Evaluations at one update use the same bandits for every run of a seed, so differences between
runs of one seed are paired; tests are Student t over seeds (:func:`metagrad.audit.stats.seed_test`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metagrad.audit.settings import AuditSettings
from metagrad.audit.stats import Test, seed_test
from metagrad.audit.store import MissingTable
from metagrad.audit.verdict import ClaimResult, finish, fmt

__all__ = ["check_c8", "check_c9", "fluctuation"]


def _final(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["update"] == table["update"].max()]


def _cap_single_seed(res: ClaimResult, tests: list[Test]) -> ClaimResult:
    if any(t.info.get("evaluation_se_only") for t in tests) and res.verdict in ("pass", "fail"):
        res.notes.append(f"Only one seed: the tests use evaluation noise only (run-to-run variability "
                         f"unmeasured), so the '{res.verdict}' is downgraded to inconclusive; ≥ 2 seeds decide it.")
        res.verdict = "inconclusive"
    return res


def fluctuation(run: pd.DataFrame) -> float:
    """RMS of successive changes / sqrt(2) over the last half of a run's evaluations
    (a slow trend barely contributes)."""
    r = run.sort_values("update")["mean_reward"].to_numpy(float)
    r = r[len(r) // 2:]
    r = r[np.isfinite(r)]
    if len(r) < 2:
        return float("nan")
    return float(np.sqrt(np.mean(np.diff(r) ** 2) / 2))


def _trajectory_note(tables) -> str | None:
    if not tables.has("trajectories/trajectories"):
        return None
    tr = _final(tables.get("trajectories/trajectories"))
    tv = {e: g.set_index(["start_index", "seed"])["mean_reward"] for e, g in tr.groupby("estimator")}
    parts = []
    for e in ("correction", "naive", "dice"):
        if e in tv and "fd" in tv:
            t = seed_test(tv[e], tv["fd"], e, "greater", 0, 0)
            parts.append(f"{e} − FD {fmt(t.estimate)} ± {fmt(t.se)} (n = {t.info['seeds']} runs)")
    if not parts:
        return None
    return "Figure 2 trajectories (final, paired by start and seed; not part of the verdict): " + "; ".join(parts) + "."


PAPER_RATE_TABLE = "learning_curves_paper_rate/learning_curves_paper_rate"


def _paper_rate_note(tables, cfg, lc: pd.DataFrame) -> str | None:
    """The diagnostic (ours): the same estimators at the paper's SGD rate against figure 3's
    runs at the same paper-equivalent update (same distance in eta), paired by seed (same
    evaluation bandits). Not part of the verdict: it says whether the scaled rate causes what
    figure 3 shows."""
    if not tables.has(PAPER_RATE_TABLE):
        return None
    slow = tables.get(PAPER_RATE_TABLE)
    sections = cfg.get("experiments", {})
    factor = (sections.get("learning_curves", {}).get("paper_update_factor", 1)
              / sections.get("learning_curves_paper_rate", {}).get("paper_update_factor", 1))
    end = int(slow["update"].max())
    at = end / factor
    if not np.isclose(at, lc["update"]).any():
        return (f"Paper-rate diagnostic: figure 3 has no evaluation at update {at:g}, the "
                f"paper-equivalent of the diagnostic's {end:,}.")
    parts = []
    for e, g in slow[slow["update"] == end].groupby("estimator"):
        fast = lc[(lc["estimator"] == e) & np.isclose(lc["update"], at)].set_index("seed")
        if fast.empty:
            continue
        g = g.set_index("seed")
        t = seed_test(g["mean_reward"], fast["mean_reward"], e, "greater", 0.0, 0.0)
        parts.append(f"{e}: {fmt(float(g['mean_reward'].mean()))} at the paper's rate vs "
                     f"{fmt(float(fast['mean_reward'].mean()))} at figure 3's (paired difference "
                     f"{fmt(t.estimate)} ± {fmt(t.se)}, one-sided p = {fmt(t.p_claim())}, "
                     f"{t.info['seeds']} seeds); η_0 ends at {fmt(float(g['eta_0'].min()))}…"
                     f"{fmt(float(g['eta_0'].max()))} vs {fmt(float(fast['eta_0'].min()))}…"
                     f"{fmt(float(fast['eta_0'].max()))}")
    if not parts:
        return None
    return (f"Paper-rate diagnostic (ours, not part of the verdict): after the same distance in η "
            f"(update {end:,} at the paper's rate = figure 3's update {at:g}): " + "; ".join(parts) + ".")


def check_c8(tables, cfg):
    s = AuditSettings.from_cfg(cfg)
    lc = tables.get("learning_curves/learning_curves")
    fin = _final(lc)
    by = {e: g.set_index("seed") for e, g in fin.groupby("estimator")}
    need = {"fd", "correction", "naive", "dice", "dice_correction"} - set(by)
    if need:
        raise MissingTable(f"learning_curves/learning_curves (estimators {sorted(need)})")
    v = {e: g["mean_reward"] for e, g in by.items()}
    se = {e: g["mean_reward_se"] for e, g in by.items()}
    m = s.final_margin

    def final(a, b, label, direction, thr, sesoi):
        return seed_test(v[a], v[b], label, direction, thr, sesoi, se[a], se[b])

    tests = [
        final("correction", "fd", f"final(correction) − final(FD) > −{m:g}", "greater", -m, m),
        final("correction", "fd", f"final(correction) − final(FD) < {m:g}", "less", m, m),
        final("fd", "naive", "final(FD) − final(naive)", "greater", 0.0, s.final_sesoi),
        final("fd", "dice", "final(FD) − final(DiCE)", "greater", 0.0, s.final_sesoi),
    ]
    fl = {e: g.groupby("seed").apply(fluctuation, include_groups=False) for e, g in lc.groupby("estimator")}
    tests.append(seed_test(fl["dice_correction"], fl["correction"],
                           "fluctuation(DiCE+corr) − fluctuation(correction)", "greater", 0.0, s.final_sesoi / 2))
    if tests[-1].df is None:
        tests[-1].se = float("nan")
    notes = []
    div = fin.groupby("estimator")["mean_reward"].apply(lambda x: int((~np.isfinite(x)).sum()))
    if div.sum():
        notes.append("Diverged runs (non-finite final reward, dropped from the tests): "
                     + ", ".join(f"{k} {int(x)}" for k, x in div.items() if x) + ".")
    means = fin.groupby("estimator")["mean_reward"].mean()
    notes.append("Final reward per pull (mean over seeds): " + ", ".join(f"{k} {fmt(x)}" for k, x in means.items()) + ".")
    if (note := _trajectory_note(tables)) is not None:
        notes.append(note)
    if (note := _paper_rate_note(tables, cfg, lc)) is not None:
        notes.append(note)
    res = finish("C8", tests, s, "paired final-reward differences over seeds (figure 3)",
                 f"Correction ≈ FD is an equivalence test (TOST) with margin ±{m:g} reward per pull; "
                 "fluctuation = RMS of successive changes/√2 over the last half of the evaluations.", notes)
    return _cap_single_seed(res, tests)


def check_c9(tables, cfg):
    """Under truncation (windows > 1), final performance rises with c, per optimiser.

    Required, one per (optimiser, truncation): the paired contrast final J(largest c) − final
    J(c = 0) > 0 over seeds (the trend the claim states, decidable even where adjacent c are
    nearly tied). Adjacent steps c_i → c_(i+1) are also tested, not required: a significant
    fall between adjacent c contradicts "rises" and fails the claim."""
    s = AuditSettings.from_cfg(cfg)
    tests = []
    present = [k for k in ("truncated_sgd", "truncated_adam") if tables.has(f"{k}/{k}")]
    if not present:
        raise MissingTable("truncated_sgd/truncated_sgd")
    collapsed = []
    for k in present:
        fin = _final(tables.get(f"{k}/{k}"))
        L = int(fin["truncation_length"].max()) + 1
        opt = k.split("_")[1]
        for t in sorted(int(x) for x in fin["truncation_length"].unique() if x > 1):
            g = fin[(fin["truncation_length"] == t) & np.isclose(fin["meta_discount"], 1.0)]
            cs = sorted(float(c) for c in g["coefficient"].unique())
            by = {c: g[np.isclose(g["coefficient"], c)].set_index("seed") for c in cs}
            tl = "none" if t == L - 1 else t

            def contrast(a, b, label):
                return seed_test(by[b]["mean_reward"], by[a]["mean_reward"], label, "greater", 0.0,
                                 s.final_sesoi, by[b]["mean_reward_se"], by[a]["mean_reward_se"])

            tests.append(contrast(cs[0], cs[-1], f"{opt} trunc {tl}: c {cs[0]:g}→{cs[-1]:g}"))
            for a, b in zip(cs, cs[1:]):
                step = contrast(a, b, f"{opt} trunc {tl}: step c {a:g}→{b:g}")
                step.required = False
                tests.append(step)
            low = by[cs[-1]]["mean_reward"] < by[cs[0]]["mean_reward"] - 0.05
            if low.any():
                collapsed.append(f"{opt} trunc {tl}: c = {cs[-1]:g} ends > 0.05 below c = {cs[0]:g} "
                                 f"in {int(low.sum())}/{len(low)} seeds")
    notes = [] if len(present) == 2 else [f"Only {present[0]} present."]
    if collapsed:
        notes.append("Collapsed runs (final J far below c = 0's on the same seed): "
                     + "; ".join(collapsed) + ".")
    res = finish("C9", tests, s, "paired final-reward contrast largest c − c = 0 (same truncation)",
                 f"{sum(t.required for t in tests)} contrasts over truncations > 1 and both "
                 "optimisers (required); adjacent steps in c tested for reversals only.", notes)
    return _cap_single_seed(res, tests)
