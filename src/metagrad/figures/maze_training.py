"""Figure 10: reward per step against environment steps while meta-training the maze's
"context" entropy coefficient over persistent agents (Vuorio et al., 2022; the paper's own
plot was never released).

Input table ``maze_training`` (:mod:`metagrad.experiments.maze_training`): one row per (run,
log interval) with ``reward_per_step`` (mean over the run's agents over that interval) at
``env_steps`` (per agent). One panel per estimator family: MG (one panel per outer learning
rate), online truncated ES (Salimans et al., 2017, at the paper's effective learning rate),
PES (Vicol et al., 2021; ours); bottom row: the agents' mean entropy coefficient. Curves: mean
over seeds +- 1 s.e. over seeds. Encodings as
every figure of the package: MG's correction coefficient c by viridis colour, ES/PES in their
names.py colours, the window (truncation) by marker; the final stretch the audit compares is
shaded.
"""

from __future__ import annotations

import numpy as np

from metagrad import names
from metagrad.figures import captions, inputs, style
from metagrad.summaries.maze_training import final_rewards, setting_label, setting_summary

TABLE = "maze_training"


def _panels(df):
    panels = []
    for lr in sorted(df.loc[df["family"] == "mg", "learning_rate"].unique()):
        panels.append(("mg", lr, f"MG (outer Adam, lr {lr:g})"))
    if (df["family"] == "es").any():
        panels.append(("es", None, "online truncated ES"))
    if (df["family"] == "pes").any():
        panels.append(("pes", None, names.ESTIMATORS["pes"].label))
    return panels


def _curves(df, value="reward_per_step"):
    """Mean and s.e. over seeds per (family, window, c, learning rate, env steps); ES and PES
    have no c (coded -1 while grouping, NaN again after)."""
    frame = df.drop(columns=["update"]).rename(columns={"env_steps": "update"})
    frame["coefficient"] = frame["coefficient"].fillna(-1.0)
    out = inputs.mean_se_over(frame, ["family", "truncation_length", "coefficient",
                                      "learning_rate", "update"], value=value)
    out.loc[out["coefficient"] < 0, "coefficient"] = np.nan
    return out


def draw(tables: dict, cfg: dict, section: dict):
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    df = inputs.pick_table(tables, TABLE, "maze_training").copy()
    df["coefficient"] = df["coefficient"].astype(float)
    style.set_style()
    panels = _panels(df)
    fig, grid = plt.subplots(2, len(panels), figsize=(style.TEXT_WIDTH, 4.4), sharey="row",
                             sharex=True, layout="constrained", squeeze=False,
                             height_ratios=(3, 2))
    truncations = sorted(df["truncation_length"].unique())
    markers = style.truncation_markers(truncations)
    coefficients = style.coefficient_colors(df.loc[df["family"] == "mg", "coefficient"].dropna())
    total = float(df["env_steps_total"].iloc[0]) / 1e3
    final = float(df["final_env_steps"].iloc[0]) / 1e3
    for row, value in enumerate(("reward_per_step", "ent_coef")):
        curves = _curves(df, value)
        for ax, (family, lr, title) in zip(grid[row], panels):
            sub = curves[curves["family"] == family]
            if lr is not None:
                sub = sub[np.isclose(sub["learning_rate"], lr)]
            for (t, c), g in sub.groupby(["truncation_length", "coefficient"], dropna=False):
                color = (coefficients[float(c)] if family == "mg"
                         else names.ESTIMATORS[family].color)
                g = g.sort_values("update")
                x = g["update"] / 1e3
                ax.plot(x, g["mean"], color=color, lw=1.0, marker=markers[int(t)],
                        markevery=max(1, len(g) // 6),
                        ms=style.marker_size(markers[int(t)]) * 0.6)
                ax.fill_between(x, g["mean"] - g["se"], g["mean"] + g["se"], color=color,
                                alpha=0.2, lw=0)
            if row == 0:
                ax.axvspan(total - final, total, color="0.9", zorder=0, lw=0)
                ax.set_title(title, fontsize="small")
    fig.supxlabel("env steps per agent (thousands)", fontsize="medium")
    axes = grid[0]
    grid[1, 0].set_ylabel("entropy coef.")
    axes[0].set_ylabel("reward per step")
    handles = [Line2D([], [], marker=markers[int(t)], color="0.2", ls="none",
                      ms=style.marker_size(markers[int(t)]) * 0.7, label=f"window {int(t)}")
               for t in truncations]
    handles += [Line2D([], [], color=col, lw=1.5, label=f"MG c = {c:g}")
                for c, col in coefficients.items()]
    fig.legend(handles=handles, loc="outside right upper", fontsize="x-small")
    return fig, caption(df, cfg, section)


def caption(df, cfg, section) -> str:
    finals = setting_summary(final_rewards(df))
    numbers = "; ".join(
        f"{setting_label(r)}: {captions.fmt_value(r['mean'])} "
        f"[{captions.fmt_value(r['ci_low'])}, {captions.fmt_value(r['ci_high'])}]"
        for _, r in finals.iterrows())
    first = df.iloc[0]
    seeds = df["seed"].nunique()
    es_lr = df.loc[df["family"] != "mg", "learning_rate"]
    es_text = (f"learning rate {es_lr.iloc[0]:g}" if len(es_lr) else "no ES runs")
    return (
        f"Figure 10 (profile '{cfg.get('profile')}'). Meta-training the maze's 'context' entropy "
        f"coefficient (a 385-parameter network over the agent's last 10 per-update mean rewards) "
        f"over {int(first['num_agents'])} persistent agents per run (never reset; object rewards "
        f"redrawn every {captions.fmt_int(first['flip_interval'])} env steps, checked at window "
        f"starts; windows longer than that flip at every window start). y: reward per step of "
        f"the run's agents (for ES and PES the perturbed particles the estimator trains on; "
        f"bottom row: their mean entropy coefficient, as set by eta), mean over {seeds} seeds "
        f"+- 1 s.e. over seeds; x: env steps per agent. One outer "
        f"iteration = one window of T inner updates (marker) per agent, then one Adam step "
        f"(eps {section.get('adam_eps', 1e-4):g}). MG: reverse-mode meta-gradient of the "
        f"paper's surrogate over the window, correction c by colour. ES: online truncated "
        f"antithetic OpenES over the agents (sigma {section.get('es_sigma', 0.04):g} decaying "
        f"x{section.get('es_sigma_decay', 0.999):g} per generation to "
        f"{section.get('es_sigma_min', 0.01):g}), run at {es_text}: the paper's authors "
        f"configured 1e-6 / 5e-6, but a library default clamped their ES to 1e-3 after the "
        f"first step, so we run it as they effectively did (x the profile's learning-rate "
        f"factor {section.get('paper_update_factor', 1):g}). PES (Persistent ES, Vicol et al. "
        f"2021) is ours, not in the paper: the same particles with each pair's perturbations "
        f"summed over {section.get('pes_horizon', '?')} updates. The paper's own plot of this "
        f"experiment was not released. Shaded: the final {captions.fmt_int(first['final_env_steps'])} "
        f"env steps; final reward per step there, mean over seeds [95 % t interval]: "
        f"{numbers}." + captions.scaling_note(section)
    )
