"""Claims on the maze: the advantage in the outer loss (figure 9, C11), and our own claims on
figure 10's learning curves (C13, C14; ours, not the paper's)."""

from __future__ import annotations

from metagrad.audit.settings import AuditSettings
import math

import numpy as np

from metagrad.audit.stats import Test, holm, seed_test
from metagrad.audit.store import MissingTable
from metagrad.audit.verdict import ClaimResult, finish

__all__ = ["check_c11", "check_c13", "check_c14", "MAZE_TABLE", "MAZE_COLUMNS", "TRAINING_TABLE"]

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
    each MG variant against FD (independent agents), pooled over seeds, two-sided, Holm over w.
    Where the table has ``std_difference_se`` (per seed, delta method over the same agents), the
    std test pools every agent (normal); else it is a t over seeds."""
    s = AuditSettings.from_cfg(cfg)
    df = tables.get(MAZE_TABLE)
    missing = [c for c in MAZE_COLUMNS if c not in df.columns]
    if missing:
        raise MissingTable(f"{MAZE_TABLE} (expected columns {MAZE_COLUMNS}; missing {missing})")
    piv = {v: g.set_index(["w", "seed"]) for v, g in df.groupby("variant")}
    ws = sorted(df["w"].unique())
    at = lambda variant, w: piv[variant].xs(w, level="w")  # noqa: E731
    def std_test(w):
        label = f"w={w:.3g}: std(with) − std(no)"
        sesoi = 0.1 * float(at("no_advantage", w)["std"].mean())
        d = at("with_minus_no", w) if "with_minus_no" in piv else None
        if d is not None and "std_difference_se" in d.columns and d["std_difference_se"].notna().all():
            # every agent of every seed: per-seed delta-method s.e.s of the paired difference
            n = len(d)
            return Test(label, float(d["std_difference"].mean()),
                        math.sqrt(float((d["std_difference_se"] ** 2).sum())) / n, 0.0, "less",
                        sesoi, int(d["num_agents"].sum()), unit="agents (delta-method s.e.)")
        return seed_test(at("with_advantage", w)["std"], at("no_advantage", w)["std"], label,
                         "less", 0.0, sesoi)

    tests = [std_test(w) for w in ws]
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


# ---------------------------------------------------------------------------------------------
# Figure 10 (ours): claims of our own wording on the learning curves, registered before the
# default results existed. The paper's plot was never released, so it reports no value.

TRAINING_TABLE = "maze_training/maze_training"
TRAINING_COLUMNS = ("family", "truncation_length", "coefficient", "learning_rate", "seed",
                    "env_steps", "reward_per_step", "env_steps_total", "final_env_steps")


def _finals(tables):
    from metagrad.summaries.maze_training import final_rewards

    df = tables.get(TRAINING_TABLE)
    missing = [c for c in TRAINING_COLUMNS if c not in df.columns]
    if missing:
        raise MissingTable(f"{TRAINING_TABLE} (expected columns {TRAINING_COLUMNS}; missing {missing})")
    return tables.cached("maze_training_finals", lambda: final_rewards(df))


def _not_run(claim_id, detail):
    return ClaimResult(claim=claim_id, figure="", statement="", statistic="", verdict="not_run",
                       detail=detail)


def _seed_series(finals, family, truncation, coefficient=None, learning_rate=None):
    rows = finals[(finals["family"] == family) & (finals["truncation_length"] == truncation)]
    if coefficient is not None:
        rows = rows[np.isclose(rows["coefficient"].astype(float), coefficient)]
    if learning_rate is not None:
        rows = rows[np.isclose(rows["learning_rate"], learning_rate)]
    return rows.set_index("seed")["final_reward"]


def check_c13(tables, cfg):
    """MG with c = 1 at the longest MG window is non-inferior to online ES at the same window:
    final reward per step (the run's last ``final_env_steps``, equal env steps), paired over
    seeds (same initial agents and key streams), one test per MG learning rate (Holm), margin
    ``maze_reward_margin``. Not run without ES at that window."""
    s = AuditSettings.from_cfg(cfg)
    finals = _finals(tables)
    mg = finals[(finals["family"] == "mg") & np.isclose(finals["coefficient"].astype(float), 1.0)]
    if mg.empty:
        return _not_run("C13", "The table has no MG run with c = 1.")
    longest = int(mg["truncation_length"].max())
    es = _seed_series(finals, "es", longest)
    if es.empty:
        return _not_run("C13", f"The table has no online ES run at the longest MG window ({longest}).")
    tests = []
    for lr in sorted(mg["learning_rate"].unique()):
        a = _seed_series(finals, "mg", longest, 1.0, lr)
        tests.append(seed_test(a, es, f"T={longest}, MG lr {lr:g}: MG(c=1) − ES", "greater",
                               -s.maze_reward_margin, s.maze_reward_margin))
    notes = [f"Final reward per step over the last {int(finals['rows'].max())} rows of each run; "
             f"ES at window {longest}: {es.mean():.4g}; margin {s.maze_reward_margin:g}."]
    return finish("C13", tests, s, "paired final-reward difference MG(c=1) − ES at the longest MG window",
                  "", notes)


def check_c14(tables, cfg):
    """Longer windows help MG: with c = 1, the final reward per step at the longest MG window
    exceeds that at the shortest, paired over seeds, one test per learning rate (Holm),
    smallest effect of interest ``maze_reward_sesoi``."""
    s = AuditSettings.from_cfg(cfg)
    finals = _finals(tables)
    mg = finals[(finals["family"] == "mg") & np.isclose(finals["coefficient"].astype(float), 1.0)]
    windows = sorted(mg["truncation_length"].unique())
    if len(windows) < 2:
        return _not_run("C14", "The table has MG with c = 1 at fewer than two windows.")
    short, long_ = int(windows[0]), int(windows[-1])
    tests = []
    for lr in sorted(mg["learning_rate"].unique()):
        a = _seed_series(finals, "mg", long_, 1.0, lr)
        b = _seed_series(finals, "mg", short, 1.0, lr)
        tests.append(seed_test(a, b, f"MG lr {lr:g}, c=1: T={long_} − T={short}", "greater", 0.0,
                               s.maze_reward_sesoi))
    return finish("C14", tests, s, f"paired final-reward difference MG(c=1) window {long_} − {short}",
                  "", [])
