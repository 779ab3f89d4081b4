"""Figures 6 (SGD) and 7 (Adam): truncated meta-learning curves (bandit, L = 30).

Input table ``truncated_sgd`` or ``truncated_adam`` (from the experiment of the same name), one
row per evaluation: ``estimator`` (naive = c 0, mg), ``truncation_length`` (1, 8, 22, L - 1 = no
truncation), ``coefficient`` c, ``seed``, ``update``, ``mean_reward`` (J at the evaluated eta),
``learning_rate``, ``optimizer``. One panel per truncation length, one line per c (viridis),
mean +- s.e. over seeds.
"""

from __future__ import annotations

import numpy as np

from metagrad.figures import style

TABLES = ("truncated_sgd", "truncated_adam")


def _table(tables: dict):
    for name in TABLES:
        if name in tables:
            return name, tables[name]
    if len(tables) == 1:
        return next(iter(tables.items()))
    raise KeyError(f"figure 'truncated_curves' needs one of the tables {TABLES}; got {sorted(tables)}")


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
    finals = []
    for ax, T in zip(axes, lengths):
        sub_t = df[df["truncation_length"] == T]
        lr = sub_t["learning_rate"].iloc[0] if "learning_rate" in sub_t else None
        for c in coefs:
            sub = sub_t[np.isclose(sub_t["coefficient"], c)]
            if sub.empty:
                continue
            s = style.mean_se_over(sub, ["update"])
            ax.plot(s["update"], s["mean"], color=colors[c], linewidth=1.2)
            ax.fill_between(s["update"], s["mean"] - s["se"], s["mean"] + s["se"], color=colors[c],
                            alpha=0.25, linewidth=0)
            finals.append(f"T={T} c={c:g}: {s['mean'].iloc[-1]:.4f}")
        title = style.truncation_label(T, L)
        ax.set_title(title + (f"  (lr {lr:g})" if lr is not None else ""), fontsize="small")
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4), useMathText=True)
    axes[0].set_ylabel("average reward per step")
    handles = [Line2D([], [], color=colors[c], linewidth=2, label=f"{c:g}") for c in coefs]
    fig.supxlabel("meta-gradient updates", fontsize="medium")
    fig.legend(handles=handles, title="sampling\ncorrection\ncoefficient c", loc="outside right center",
               fontsize="small", title_fontsize="small")
    opt = str(section.get("optimizer") or (df["optimizer"].iloc[0] if "optimizer" in df else "?"))
    opt_name = {"sgd": "SGD", "adam": "Adam"}.get(opt.lower(), opt)
    fig.suptitle(f"Truncated meta-learning curves ({opt_name}), L = {L}", fontsize="medium")

    diverged = style.diverged_runs(df, ["truncation_length", "coefficient", "seed"])
    div_text = (" Diverged runs (non-finite J, left out of the mean): "
                + ", ".join(f"T={t} c={c:g} seed {s}" for t, c, s in diverged) + "."
                if diverged else " No run diverged.")
    lrs = section.get("learning_rates")
    lr_text = (", ".join(f"{style.truncation_label(t, L)}: {lr:g}" for t, lr in zip(section.get("truncation_lengths", lengths), lrs))
               if lrs else "")
    eta = section.get("eta_start")
    fig_no = 7 if opt.lower() == "adam" or name == "truncated_adam" else 6
    caption = (
        f"Figure {fig_no} (profile '{cfg.get('profile')}'). Meta-learning curves with truncated "
        f"backpropagation, optimizer {opt_name}: J(eta) (mean reward per pull over a lifetime of L = {L}) "
        f"against meta-gradient updates from eta = ({', '.join(f'{v:g}' for v in eta) if eta else '?'}). "
        f"One panel per truncation window length T ({', '.join(style.truncation_label(t, L) for t in lengths)}); "
        f"colour: sampling-correction coefficient c (viridis; c = 0 is the naive estimator within the window). "
        f"Lines: mean over seeds; bands: +- 1 s.e. over seeds."
        + (f" Outer learning rates: {lr_text}." if lr_text else "")
        + f" Sample sizes: {style.training_sizes(section, df)}.{div_text}"
        f" Final values: {'; '.join(finals)}.{style.scaling_note(section)}"
        + (" Paper: 500,000 updates, SGD lr 0.05 (T = 1, 8) / 0.005 (22, none), 5 seeds." if fig_no == 6
           else " Paper: 200,000 updates, Adam lr 0.001, 5 seeds.")
    )
    return fig, caption
