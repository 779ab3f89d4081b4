"""Brax MAML: directional bias against trace variance of the MAML meta-gradient estimators
(ours, beyond the paper; spec section 7; issue 13). Input: ``maml_summary`` of the
``brax_maml`` experiment (:mod:`metagrad.summaries.brax_maml`). One panel per FD direction group
(output layer, all parameters): x = single-sample trace variance (log), y = noise-corrected
directional bias with its 95 % batch-bootstrap interval (symmetric log scale: the noise
correction can go below 0), the c-sweep from naive (c = 0) to the correction (c = 1) as a line.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from metagrad import names
from metagrad.figures import captions, style

MARKERS = {"naive": "o", "correction": "s", "dice": "^", "dice_correction": "v",
           "first_order": "D", "correction_sibling": "P"}
COLORS = {"naive": names.color("naive"), "correction": names.color("correction"),
          "dice": names.color("dice"), "dice_correction": names.color("dice_correction"),
          "first_order": "#17becf", "correction_sibling": "#bcbd22"}
GROUP_TITLES = {"output": "directions within the output layer",
                "all": "directions over all parameters"}


def task_text(cfg: dict, section: dict) -> str:
    task = cfg.get("tasks", {}).get(section.get("task", "brax_maml"), {})
    hidden = task.get("hidden", [])
    return (f"Brax {task.get('env', '?')} ({task.get('backend', '?')} backend), "
            f"{task.get('inner_steps', '?')} inner REINFORCE step(s) at lr "
            f"{task.get('inner_learning_rate', '?')}, {task.get('num_envs', '?')} episodes x "
            f"{task.get('episode_length', '?')} steps per batch, a ({', '.join(map(str, hidden))}) "
            f"tanh policy, objective {task.get('objective', '?')}")


def draw(tables: dict, cfg: dict, section: dict):
    (summary,) = [t for stem, t in tables.items() if stem == "maml_summary"] or list(tables.values())
    df = summary[summary["setting_key"] != "dice_extra"]
    style.set_style()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharex=True)
    coefficient_colors = style.coefficient_colors(sorted(df.loc[df["sweep"], "coefficient"].unique()))
    for ax, group in zip(axes, ("output", "all")):
        g = df[df["group"] == group]
        sweep = g[g["sweep"]].sort_values("coefficient")
        ax.plot(sweep["trace_var"], sweep["bias"], "-", color="0.6", lw=1.2, zorder=1,
                label="c-sweep (c = 0 ... 1)")
        for _, r in sweep.iterrows():
            if r["setting_key"] in MARKERS:
                continue
            ax.errorbar(r["trace_var"], r["bias"], yerr=[[r["bias"] - r["bias_ci_low"]],
                                                          [r["bias_ci_high"] - r["bias"]]],
                        fmt="o", ms=4, color=coefficient_colors[r["coefficient"]], zorder=2)
            ax.annotate(f"c={r['coefficient']:g}", (r["trace_var"], r["bias"]), fontsize=7,
                        xytext=(3, 3), textcoords="offset points")
        for key, marker in MARKERS.items():
            r = g[g["setting_key"] == key]
            if r.empty:
                continue
            r = r.iloc[0]
            ax.errorbar(r["trace_var"], r["bias"], yerr=[[r["bias"] - r["bias_ci_low"]],
                                                          [r["bias_ci_high"] - r["bias"]]],
                        fmt=marker, ms=7, color=COLORS[key], label=r["label"], zorder=3,
                        capsize=2)
        delta = 0.1 * abs(float(g["fd_norm2"].iloc[0]))
        ax.axhline(0.0, color="0.3", lw=0.6)
        ax.axhline(delta, color="0.3", lw=0.8, ls="--",
                   label="δ = 10 % of FD's mean squared directional derivative")
        ax.set_xscale("log")
        ax.set_yscale("symlog", linthresh=max(delta, 1e-12), linscale=0.6)
        low, high = ax.get_ylim()
        ticks = [t for t in ax.get_yticks() if (t == 0 or abs(t) >= 10 * delta) and low <= t <= high]
        ax.set_yticks(ticks)
        ax.set_title(GROUP_TITLES[group], fontsize=10)
        ax.set_xlabel("trace variance (single sample, all D parameters)")
        ax.set_ylabel("noise-corrected directional bias")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, -0.08))
    fig.suptitle("Brax MAML (ours): bias against variance of meta-gradient estimators", fontsize=11)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    caption = _caption(df, cfg, section)
    return fig, caption


def _caption(df, cfg, section) -> str:
    r = df.iloc[0]
    K = int(df.loc[df["group"] == "pooled", "num_directions"].iloc[0])
    return (
        "Brax MAML meta-gradients (ours, beyond the paper): " + task_text(cfg, section)
        + f"; eta = the initial policy parameters (D = {int(r['num_meta_params']):,}), measured at "
        "the flax initialisation. All estimators are computed from the same sampled pre- and "
        f"post-update batches ({captions.fmt_int(int(r['samples']))} samples, one task each): "
        "naive (differentiate the sampled update), the sampling correction, the c-sweep between "
        "them (line), DiCE (Loaded-DiCE surrogate) with and without the correction, first-order "
        "MAML (the update's Jacobian dropped) and the correction with a sibling-batch baseline "
        "(ours). x: single-sample variance, the trace over all D parameters. y: noise-corrected "
        "directional bias mean_k (u_k^T g_bar - d_k)^2 against directional finite differences "
        f"with common random numbers (eps = {section.get('fd_epsilon', '?')}, "
        f"{captions.fmt_int(int(r['fd_samples']))} samples) along {K} fixed orthonormal unit "
        f"directions from the seed, {K // 2} within the output layer (left) and {K // 2} over all "
        "parameters (right); bars: 95 % batch-bootstrap intervals (point +- 1.96 s.e.); symmetric-log y "
        "axis, linear within +-delta (dashed: delta = 10 % of FD's noise-corrected mean squared "
        "directional derivative, the audit's smallest bias of interest). "
        + captions.scaling_note(section))
