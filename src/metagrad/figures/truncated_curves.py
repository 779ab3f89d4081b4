"""Figures 6 (SGD) and 7 (Adam): truncated meta-learning curves (bandit, L = 30).

Input table ``truncated_sgd`` or ``truncated_adam`` (from the experiment of the same name), one
row per evaluation: ``estimator`` (naive = c 0, correction; legacy "mg"), ``truncation_length``
(1, 8, 22, L - 1 = no truncation), ``coefficient`` c, ``seed``, ``update``, ``mean_reward`` (J at
the evaluated eta), ``learning_rate``, ``optimizer``. One panel per truncation length, one line
per c (viridis), mean +- s.e. over seeds. Where every c gave identical runs (truncation 1: the
window's earlier step enters with theta held constant, so c has no effect) one line is drawn.
"""

from __future__ import annotations

import numpy as np

from metagrad.figures import captions, inputs, style

TABLES = ("truncated_sgd", "truncated_adam")
IDENTICAL_COLOR = "0.25"
OPTIMIZER_NAMES = {"sgd": "SGD", "adam": "Adam"}
PAPER = {6: " Paper: 500,000 updates, SGD lr 0.05 (T = 1, 8) / 0.005 (22, none), 5 seeds.",
         7: " Paper: 200,000 updates, Adam lr 0.001, 5 seeds."}


def _table(tables: dict):
    for name in TABLES:
        if name in tables:
            return name, inputs.pick_table(tables, name, "truncated_curves")
    if len(tables) == 1:
        name = next(iter(tables))
        return name, inputs.pick_table(tables, name, "truncated_curves")
    raise KeyError(f"figure 'truncated_curves' needs one of the tables {TABLES}; got {sorted(tables)}")


def identical_runs(sub_t, coefs) -> bool:
    """True when the runs of every c at one truncation are the same numbers (same seeds, updates
    and J), i.e. one curve."""
    if len(coefs) < 2:
        return False
    piv = sub_t.pivot_table(index=["seed", "update"], columns="coefficient", values="mean_reward",
                            dropna=False)
    vals = piv.to_numpy(float)
    return bool(piv.shape[1] == len(coefs) and np.allclose(vals, vals[:, :1], rtol=0, atol=0, equal_nan=True))


def draw(tables: dict, cfg: dict, section: dict):
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    name, df = _table(tables)
    style.set_style()
    L = section.get("lifetime_length")
    if L is None and "truncation_length" in df:
        L = int(df["truncation_length"].max()) + 1
    lengths = sorted(int(t) for t in df["truncation_length"].unique())
    coefs = sorted(float(c) for c in df["coefficient"].unique())
    colors = style.coefficient_colors(coefs)

    fig, axes = plt.subplots(1, len(lengths), figsize=(style.TEXT_WIDTH, 2.8), sharey=True,
                             sharex=True, squeeze=False, layout="constrained")
    axes = axes[0]
    finals, merged = [], []
    for ax, T in zip(axes, lengths):
        sub_t = df[df["truncation_length"] == T]
        present = [c for c in coefs if np.isclose(sub_t["coefficient"], c).any()]
        if identical_runs(sub_t, present):
            merged.append(T)
            s = inputs.mean_se_over(sub_t[np.isclose(sub_t["coefficient"], present[0])], ["update"])
            style.mean_band(ax, s, IDENTICAL_COLOR)
            ax.text(0.97, 0.05, "every c identical", transform=ax.transAxes, ha="right", va="bottom",
                    fontsize="small", color=IDENTICAL_COLOR)
            finals.append(f"T={T} every c: {s['mean'].iloc[-1]:.4f}")
        else:
            for c in present:
                s = inputs.mean_se_over(sub_t[np.isclose(sub_t["coefficient"], c)], ["update"])
                style.mean_band(ax, s, colors[c])
                finals.append(f"T={T} c={c:g}: {s['mean'].iloc[-1]:.4f}")
        lr = sub_t["learning_rate"].iloc[0] if "learning_rate" in sub_t else None
        ax.set_title(style.truncation_label(T, L) + (f"  (lr {lr:g})" if lr is not None else ""), fontsize="small")
        style.sci_updates_axis(ax, label=None, paper_factor=section.get("paper_update_factor"),
                               top_label=False)
    axes[0].set_ylabel("average reward per step")
    handles = [Line2D([], [], color=colors[c], linewidth=2, label=f"{c:g}") for c in coefs]
    if merged:
        handles.append(Line2D([], [], color=IDENTICAL_COLOR, linewidth=2, label="every c\n(identical)"))
    fig.supxlabel("meta-gradient updates" + style.paper_axis_note(section.get("paper_update_factor")),
                  fontsize="medium")
    fig.legend(handles=handles, title="sampling\ncorrection\ncoefficient c", loc="outside right center",
               fontsize="small", title_fontsize="small")
    opt = str(section.get("optimizer") or (df["optimizer"].iloc[0] if "optimizer" in df else "?"))
    opt_name = OPTIMIZER_NAMES.get(opt.lower(), opt)
    fig.suptitle(f"Truncated meta-learning curves ({opt_name}), L = {L}", fontsize="medium")
    return fig, _caption(df, cfg, section, name, L, lengths, merged, finals, opt, opt_name)


def _caption(df, cfg, section, name, L, lengths, merged, finals, opt, opt_name) -> str:
    fig_no = 7 if opt.lower() == "adam" or name == "truncated_adam" else 6
    diverged = captions.diverged_sentence(inputs.diverged_runs(df, ["truncation_length", "coefficient", "seed"]),
                                          lambda t, c, s: f"T={t} c={c:g} seed {s}", left_out="left out of the mean")
    lrs = section.get("learning_rates")
    lr_text = (", ".join(f"{style.truncation_label(t, L)}: {lr:g}"
                         for t, lr in zip(section.get("truncation_lengths", lengths), lrs)) if lrs else "")
    one_line = (f" At {', '.join(style.truncation_label(t, L) for t in merged)} the runs of every c are "
                f"identical (the window's earlier step enters it with theta held constant, so the correction "
                f"has no effect): one grey line is drawn." if merged else "")
    return (
        f"Figure {fig_no} (profile '{cfg.get('profile')}'). Meta-learning curves with truncated "
        f"backpropagation, optimizer {opt_name}: J(eta) (mean reward per pull over a lifetime of L = {L}) "
        f"against meta-gradient updates from eta = {captions.eta_text(section.get('eta_start'))}. "
        f"One panel per truncation window length T ({', '.join(style.truncation_label(t, L) for t in lengths)}); "
        f"colour: sampling-correction coefficient c (viridis; c = 0 is the naive estimator within the window)."
        f"{one_line} Lines: mean over seeds; bands: +- 1 s.e. over seeds."
        + (f" Outer learning rates: {lr_text}." if lr_text else "")
        + f" Sample sizes: {captions.training_sizes(section, df)}.{diverged}"
        f" Final values: {'; '.join(finals)}.{captions.scaling_note(section)}{PAPER[fig_no]}"
    )
