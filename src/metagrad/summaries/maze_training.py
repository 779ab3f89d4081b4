"""Final rewards of figure 10's runs (``maze_training`` tables), shared by the figure and the
audit so both read the same numbers: the reward per step of a run's agents over the final
``final_env_steps`` env steps of the run (equal env steps for every estimator)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["SETTING_COLUMNS", "RUN_COLUMNS", "final_rewards", "setting_summary", "setting_label"]

SETTING_COLUMNS = ("configuration", "estimator", "family", "truncation_length", "coefficient",
                   "learning_rate")
RUN_COLUMNS = SETTING_COLUMNS + ("seed",)


def final_rewards(table: pd.DataFrame) -> pd.DataFrame:
    """One row per run: ``final_reward`` (mean of its rows ending after env step
    ``env_steps_total - final_env_steps``; every row of one run covers the same env steps),
    ``final_reward_se`` (from the rows' agent-level s.e.) and ``rows``."""
    start = table["env_steps_total"] - table["final_env_steps"]
    last = table[table["env_steps"] > start]
    out = (last.groupby(list(RUN_COLUMNS), dropna=False)
           .agg(final_reward=("reward_per_step", "mean"),
                final_reward_se=("reward_per_step_se", lambda s: float(np.sqrt((s ** 2).sum()) / len(s))),
                rows=("reward_per_step", "size"))
           .reset_index())
    return out


def setting_summary(finals: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per setting (all but the seed): mean final reward over seeds, s.e., Student t interval."""
    def agg(g):
        v = g["final_reward"].to_numpy(float)
        n = len(v)
        se = v.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
        half = stats.t.isf((1 - level) / 2, n - 1) * se if n > 1 else np.nan
        return pd.Series({"mean": v.mean(), "se": se, "ci_low": v.mean() - half,
                          "ci_high": v.mean() + half, "seeds": n})

    out = (finals.groupby(list(SETTING_COLUMNS), dropna=False)[["final_reward"]].apply(agg)
           .reset_index())
    order = out["family"].map({"mg": 0, "es": 1, "pes": 2})
    out = out.assign(_order=order).sort_values(
        ["_order", "learning_rate", "truncation_length", "coefficient"], kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


def setting_label(row) -> str:
    """'MG c=1 T=64', 'ES T=8', 'PES (ours) T=8'."""
    family = row["family"]
    t = int(row["truncation_length"])
    if family == "mg":
        return f"MG c={row['coefficient']:g} T={t} lr={row['learning_rate']:g}"
    return f"{'PES (ours)' if family == 'pes' else 'ES'} T={t}"
