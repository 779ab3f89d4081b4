"""Figure 9: the maze's meta-gradient dJ/dw (ent_coef = sigmoid(w)), 3 x 3 panels.

Input table ``maze_gradients`` (:mod:`metagrad.experiments.maze_gradients`), one row per
(variant, w, seed) with ``mean``, ``std`` (of one sample = mean over ``agents_per_sample``
agents), ``se`` and ``num_agents``. Rows: (1) the gradient against w, mean +- 95 % CI, for "no
advantage", "with advantage" and FD (FD repeated dashed in the MG panels); (2) the single-sample
std of both MG variants, and their ratio; (3) each MG variant minus FD, and the paired
difference "with" - "no" (same agents), mean +- 95 % CI.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metagrad.figures import captions, inputs, style

TABLE = "maze_gradients"
Z95 = 1.959964
VARIANTS = {"no_advantage": ("MG, no advantage", "#1f77b4"),
            "with_advantage": ("MG, with advantage", "#d62728"),
            "fd": ("FD", "0.3"),
            "with_minus_no": ("with - no advantage (paired)", "#9467bd")}


def pooled(df: pd.DataFrame, variant: str) -> pd.DataFrame:
    """Per w: the mean over every agent of every seed and its s.e. (seeds are independent and
    equally sized), and the single-sample std (mean over seeds) with its s.e. over seeds."""
    rows = []
    for w, g in df[df["variant"] == variant].groupby("w", sort=True):
        n = len(g)
        rows.append({"w": w, "mean": g["mean"].mean(), "se": np.sqrt((g["se"] ** 2).sum()) / n,
                     "std": g["std"].mean(),
                     "std_se": g["std"].std(ddof=1) / np.sqrt(n) if n > 1 else 0.0})
    return pd.DataFrame(rows)


def difference(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """a - b per w, independent samples (s.e. in quadrature)."""
    m = a.merge(b, on="w", suffixes=("_a", "_b"))
    return pd.DataFrame({"w": m["w"], "mean": m["mean_a"] - m["mean_b"],
                         "se": np.hypot(m["se_a"], m["se_b"])})


def _band(ax, s, color, label=None, dashed=False):
    ax.plot(s["w"], s["mean"], color=color, lw=1.3, ls="--" if dashed else "-", label=label,
            marker="o", ms=2.5)
    ax.fill_between(s["w"], s["mean"] - Z95 * s["se"], s["mean"] + Z95 * s["se"], color=color,
                    alpha=0.2, lw=0)


def summaries(df: pd.DataFrame) -> dict:
    out = {v: pooled(df, v) for v in VARIANTS if (df["variant"] == v).any()}
    out["no_minus_fd"] = difference(out["no_advantage"], out["fd"])
    out["with_minus_fd"] = difference(out["with_advantage"], out["fd"])
    return out


def draw(tables: dict, cfg: dict, section: dict):
    import matplotlib.pyplot as plt

    df = inputs.pick_table(tables, TABLE, "maze_gradients")
    s = summaries(df)
    style.set_style()
    fig, axes = plt.subplots(3, 3, figsize=(style.TEXT_WIDTH, 6.4), layout="constrained",
                             sharex=True)
    for ax, v in zip(axes[0], ("no_advantage", "with_advantage", "fd")):
        label, color = VARIANTS[v]
        _band(ax, s[v], color, label)
        if v != "fd":
            _band(ax, s["fd"], VARIANTS["fd"][1], "FD", dashed=True)
        ax.axhline(0, color="0.7", lw=0.6)
        ax.set_title(label, fontsize="small")
    axes[0, 0].set_ylabel("dJ/dw (mean, 95 % CI)")
    for ax, v in zip(axes[1][:2], ("no_advantage", "with_advantage")):
        label, color = VARIANTS[v]
        ax.errorbar(s[v]["w"], s[v]["std"], yerr=s[v]["std_se"], color=color, marker="o", ms=2.5,
                    lw=1.3, capsize=2)
        ax.set_yscale("log")
        ax.set_title(f"std of one sample: {label}", fontsize="x-small")
    ratio = s["with_advantage"]["std"].to_numpy() / s["no_advantage"]["std"].to_numpy()
    axes[1, 2].plot(s["no_advantage"]["w"], ratio, color=VARIANTS["with_minus_no"][1], marker="o",
                    ms=2.5)
    axes[1, 2].axhline(1, color="0.7", lw=0.6)
    axes[1, 2].set_title("std ratio with / no advantage", fontsize="x-small")
    axes[1, 0].set_ylabel("single-sample std")
    for ax, key, title in ((axes[2, 0], "no_minus_fd", "no advantage - FD"),
                           (axes[2, 1], "with_minus_fd", "with advantage - FD"),
                           (axes[2, 2], "with_minus_no", "with - no advantage (paired)")):
        _band(ax, s[key], VARIANTS["with_minus_no"][1] if key == "with_minus_no" else "0.2")
        ax.axhline(0, color="0.7", lw=0.6)
        ax.set_title(title, fontsize="x-small")
        ax.set_xlabel("w  (ent_coef = sigmoid(w))")
    axes[2, 0].set_ylabel("difference (95 % CI)")
    return fig, caption(df, s, cfg, section)


def _at(summary, w, col="mean"):
    row = summary.iloc[int(np.argmin(np.abs(summary["w"].to_numpy() - w)))]
    return row[col], row.get("se", np.nan)


def caption(df, s, cfg, section) -> str:
    ws = sorted(df["w"].unique())
    picks = [ws[0], ws[len(ws) // 2], ws[-1]]
    numbers = []
    for w in picks:
        parts = []
        for v in ("no_advantage", "with_advantage", "fd"):
            m, se = _at(s[v], w)
            parts.append(f"{VARIANTS[v][0]} {captions.fmt_value(m)} +- {captions.fmt_value(Z95 * se)}")
        for v in ("no_advantage", "with_advantage"):
            parts.append(f"std ({v.replace('_', ' ')}) {captions.fmt_value(_at(s[v], w, 'std')[0])}")
        numbers.append(f"w = {w:.3g}: " + ", ".join(parts))
    narrower = int((s["with_advantage"]["std"].to_numpy() < s["no_advantage"]["std"].to_numpy()).sum())
    first = df.iloc[0]
    seeds = df["seed"].nunique()
    agents = int(df[df["variant"] == "no_advantage"]["num_agents"].iloc[0])
    fd_agents = int(df[df["variant"] == "fd"]["num_agents"].iloc[0])
    return (
        f"Figure 9 (profile '{cfg.get('profile')}'). The maze's meta-gradient of w, where the inner "
        f"actor-critic's entropy coefficient is sigmoid(w), estimated over windows of "
        f"{int(first.get('window_length', section.get('window_length', 0)))} inner updates, each a "
        f"fresh agent (theta reset at every reward flip, so windows are untruncated), with the full "
        f"sampling correction (c = {section.get('coefficient', 1.0):g}). Top: mean +- 95 % CI of "
        f"the estimate, MG without and with the advantage G - V in the outer loss (both computed on "
        f"the same agents, so their difference is paired) and finite differences (eps = "
        f"{section.get('fd_epsilon', 0.1):g}, common random numbers; dashed in the MG panels). "
        f"Middle: the std of one sample (the mean over {int(first['agents_per_sample'])} agents, "
        f"estimated as the std over agents / sqrt({int(first['agents_per_sample'])})), and the "
        f"ratio with / no advantage: 'with advantage' is narrower at {narrower}/{len(ws)} w. Bottom: "
        f"each MG variant minus FD and the paired difference. J(w) is the mean over the window of "
        f"the per-update return from the first state (gamma = 0.99). Sizes: {seeds} seeds x "
        f"{agents} agents per (w, seed) for MG, {fd_agents} FD pairs. Values: " + "; ".join(numbers)
        + "." + captions.scaling_note(section)
        + " Paper: 20 seeds, about 62 k samples of 25 agents per (loss, w)."
    )
