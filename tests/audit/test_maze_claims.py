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
