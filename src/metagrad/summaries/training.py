"""Final performance of meta-training runs (figures 2, 3, 6, 7).

``final_performance``: per setting, J(eta) at the last evaluation averaged over seeds and
starts, its s.e. over seeds, and the s.e. of the evaluation itself. Evaluations use the same
bandits for every run, so differences between settings are paired.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SETTING_COLUMNS = ["estimator", "truncation_length", "coefficient", "meta_discount",
                   "learning_rate", "optimizer"]


def summarize(tables: dict, cfg: dict, section: dict) -> dict:
    (table,) = tables.values()
    last = table[table["update"] == table["update"].max()]
    rows = []
    for key, group in last.groupby(SETTING_COLUMNS, dropna=False):
        values = group["mean_reward"].to_numpy(float)
        finite = values[np.isfinite(values)]
        rows.append({
            **dict(zip(SETTING_COLUMNS, key)),
            "num_runs": len(values), "num_diverged": int(len(values) - len(finite)),
            "final_updates": int(group["update"].iloc[0]),
            "final_mean_reward": float(finite.mean()) if len(finite) else np.nan,
            "final_mean_reward_se": (float(finite.std(ddof=1) / np.sqrt(len(finite)))
                                     if len(finite) > 1 else np.nan),
            "evaluation_se": float(np.nanmean(group["mean_reward_se"])),
            "final_eta_0": float(np.nanmean(group["eta_0"])),
            "final_eta_1": float(np.nanmean(group["eta_1"])),
        })
    return {"final_performance": pd.DataFrame(rows)}
