"""C11 on synthetic maze tables: decided from the table, and each half of the claim has teeth."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_synthetic import CFG
from metagrad.audit import TableStore
from metagrad.audit.claims.maze import MAZE_TABLE, check_c11


def table(with_bias=0.5, std_ratio=0.6, seeds=5, ws=(-2.0, 1.0, 4.0), seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for w in ws:
        truth = 0.1 * w
        for s in range(seeds):
            for variant, mean, std in (("no_advantage", truth, 1.0),
                                       ("with_advantage", truth + with_bias, std_ratio),
                                       ("fd", truth, 0.5)):
                se = 0.01
                rows.append({"variant": variant, "w": w, "seed": s,
                             "mean": mean + se * rng.standard_normal(), "se": se,
                             "std": std * (1 + 0.02 * rng.standard_normal())})
    return pd.DataFrame(rows)


def verdict(df):
    return check_c11(TableStore(frames={MAZE_TABLE: df}), CFG).verdict


def test_c11_passes_when_with_advantage_is_narrower_and_biased():
    assert verdict(table()) == "pass"


def test_c11_needs_the_bias():
    assert verdict(table(with_bias=0.0)) != "pass"


def test_c11_needs_the_lower_std():
    assert verdict(table(std_ratio=1.5)) == "fail"


def test_c11_fails_when_no_advantage_is_biased_too():
    df = table()
    df.loc[df["variant"] == "no_advantage", "mean"] += 0.5
    assert verdict(df) == "fail"


def with_pooled_std(df, difference, se):
    """Add the experiment's ``with_minus_no`` rows with a per-seed std difference and s.e."""
    rows = df[df["variant"] == "no_advantage"].copy()
    rows["variant"] = "with_minus_no"
    rows["std_difference"], rows["std_difference_se"], rows["num_agents"] = difference, se, 50
    return pd.concat([df, rows], ignore_index=True)


def test_c11_std_pools_every_agent_where_the_table_has_the_delta_method_se():
    """Two seeds: a t over seeds (1 df) cannot decide, the agent-pooled normal test can."""
    df = table(seeds=2)
    assert verdict(with_pooled_std(df, difference=-0.3, se=0.05)) == "pass"
    assert verdict(with_pooled_std(df, difference=+0.3, se=0.05)) == "fail"
    assert verdict(with_pooled_std(df, difference=-0.3, se=0.5)) == "inconclusive"


def test_std_difference_se_matches_its_sampling_spread():
    """The delta-method s.e. of std(with) − std(no) (same agents, correlated, heavy-ish tails)
    against the spread over 4,000 replications: within 8 % (the Monte-Carlo error of an sd from
    4,000 replications is 1.1 %, the delta method's own at n = 400 a few %)."""
    from metagrad.experiments.maze_gradients import std_difference

    rng = np.random.default_rng(3)
    values, ses = [], []
    for _ in range(4000):
        no = rng.standard_t(8, size=400)
        with_ = 0.6 * no + 0.5 * rng.standard_normal(400)
        d, se = std_difference(no, with_, 25)
        values.append(d)
        ses.append(se)
    assert np.isclose(np.mean(values), (np.sqrt(0.36 * 8 / 6 + 0.25) - np.sqrt(8 / 6)) / 5, rtol=0.02)
    assert abs(np.mean(ses) / np.std(values) - 1) < 0.08
