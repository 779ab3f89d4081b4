"""C13 and C14 (figure 10, ours) on synthetic maze_training tables whose truth is known: each
claim passes when its effect is there, fails when it is reversed, and is undecided (with a
sample-size projection in seeds) when the seeds cannot tell."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit_synthetic import CFG
from metagrad.audit import TableStore
from metagrad.audit.claims.maze import TRAINING_TABLE, check_c13, check_c14

TOTAL, FINAL, EVERY = 1000, 200, 100


def table(finals: dict, seeds=6, seed_sd=0.002, seed=0):
    """Rows of runs whose reward per step over the final stretch is ``finals[(family, T, c)]``
    plus a per-seed effect shared by every run of the seed (paired) and small independent
    noise; earlier rows are far off, so a claim reading them would be wrong."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(0, 0.05, seeds)
    rows = []
    for (family, t, c), value in finals.items():
        for s in range(seeds):
            for end in range(EVERY, TOTAL + 1, EVERY):
                late = end > TOTAL - FINAL
                v = (value if late else -1.0) + shared[s] + rng.normal(0, seed_sd)
                rows.append({"configuration": f"{family}_T{t}", "estimator": family,
                             "family": family, "truncation_length": t,
                             "coefficient": c, "learning_rate": 1e-3, "seed": s,
                             "env_steps": end, "update": end, "reward_per_step": v,
                             "reward_per_step_se": 0.001, "env_steps_total": TOTAL,
                             "final_env_steps": FINAL})
    return pd.DataFrame(rows)


def runs(mg_long_c1, es_long, mg_short_c1=0.0):
    return {("mg", 8, 0.0): 0.0, ("mg", 8, 1.0): mg_short_c1, ("mg", 64, 0.0): 0.0,
            ("mg", 64, 1.0): mg_long_c1, ("es", 8, np.nan): 0.0, ("es", 64, np.nan): es_long,
            ("pes", 8, np.nan): 0.0}


def result(check, df):
    return check(TableStore(frames={TRAINING_TABLE: df}), CFG)


@pytest.mark.parametrize("mg, es, expected", [(0.02, 0.0, "pass"),     # better than ES
                                              (0.0, 0.0, "pass"),      # equal: within the margin
                                              (-0.05, 0.0, "fail")])   # clearly worse
def test_c13_non_inferiority_of_mg_against_es_at_the_longest_window(mg, es, expected):
    assert result(check_c13, table(runs(mg, es))).verdict == expected


def test_c13_is_undecided_and_projects_seeds_when_the_difference_sits_on_the_margin():
    res = result(check_c13, table(runs(-0.008, 0.0), seeds=3, seed_sd=0.01))
    assert res.verdict == "inconclusive"
    assert "seeds" in res.detail


def test_c13_compares_the_window_it_names():
    """ES at another window being much better must not matter."""
    finals = runs(0.0, 0.0)
    finals[("es", 8, np.nan)] = 0.5
    assert result(check_c13, table(finals)).verdict == "pass"


def test_c13_not_run_without_es_at_the_longest_mg_window():
    finals = {k: v for k, v in runs(0.0, 0.0).items() if k != ("es", 64, np.nan)}
    from metagrad.audit.registry import CLAIMS
    claim = next(c for c in CLAIMS if c.id == "C13")
    assert claim.run(TableStore(frames={TRAINING_TABLE: table(finals)}), CFG).verdict == "not_run"


@pytest.mark.parametrize("long_minus_short, expected", [(0.03, "pass"), (-0.03, "fail"),
                                                        (0.0, "inconclusive")])
def test_c14_longer_windows_help_mg(long_minus_short, expected):
    df = table(runs(long_minus_short, 0.0, mg_short_c1=0.0))
    assert result(check_c14, df).verdict == expected


def test_c14_reads_c_equal_1_only():
    """c = 0 runs at the long window being much worse must not matter."""
    finals = runs(0.03, 0.0)
    finals[("mg", 64, 0.0)] = -0.5
    assert result(check_c14, table(finals)).verdict == "pass"
