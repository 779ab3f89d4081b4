"""Figure 3: meta-learning curves from eta = (2, 2) (bandit, L = 30, no truncation).

Input table ``learning_curves`` (from :mod:`metagrad.experiments.learning_curves`), one row per
evaluation: ``estimator`` (fd, naive, correction, dice, dice_correction), ``seed``, ``update``,
``mean_reward`` (J at the evaluated eta: mean reward per pull over the lifetime), ...
Draws mean +- s.e. over seeds against meta-updates, one line per estimator, with the paper's
labels and colours (../shared/reference/paper-learning-curves.png).
"""

from __future__ import annotations

import numpy as np

from metagrad.figures import style

TABLE = "learning_curves"
ORDER = ("fd", "naive", "correction", "dice", "dice_correction")


def _estimators(df):
    present = list(dict.fromkeys(df["estimator"]))
    return [e for e in ORDER if e in present] + sorted(e for e in present if e not in ORDER)


def draw(tables: dict, cfg: dict, section: dict):
    import matplotlib.pyplot as plt

    df = style.pick_table(tables, TABLE, "learning_curves")
    style.set_style()
    fig, ax = plt.subplots(figsize=(style.COLUMN_WIDTH + 0.6, 3.2))
    estimators = _estimators(df)
    finals = []
    for est in estimators:
        sub = df[df["estimator"] == est]
        s = style.mean_se_over(sub, ["update"])
        color = style.ESTIMATOR_CODE_COLORS.get(est)
        label = style.ESTIMATOR_LABELS.get(est, est)
        ax.plot(s["update"], s["mean"], color=color, label=label, linewidth=1.3)
        ax.fill_between(s["update"], s["mean"] - s["se"], s["mean"] + s["se"], color=color,
                        alpha=0.3, linewidth=0)
        last = s.iloc[-1]
        finals.append(f"{label} {last['mean']:.4f} +- {last['se']:.4f}")
    ax.set_xlabel("meta-gradient updates")
    ax.set_ylabel("average reward per step\n(mean reward per pull over the lifetime)")
    ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4), useMathText=True)
    ax.legend(loc="best", fontsize="small", frameon=True, framealpha=0.85)
    L = section.get("lifetime_length")
    ax.set_title(f"Meta-learning curves, L = {L}" if L else "Meta-learning curves")
    fig.tight_layout()

    diverged = style.diverged_runs(df, ["estimator", "seed"])
    div_text = (" Diverged runs (non-finite J, left out of the mean from then on): "
                + ", ".join(f"{style.ESTIMATOR_LABELS.get(e, e)} seed {s}" for e, s in diverged) + "."
                if diverged else " No run diverged.")
    eta = section.get("eta_start")
    lrs = section.get("learning_rates") or {}
    lr_text = ", ".join(f"{style.ESTIMATOR_LABELS.get(k, k)} {v:g}" for k, v in lrs.items())
    opt = section.get("optimizer", df["optimizer"].iloc[0] if "optimizer" in df else "?")
    caption = (
        f"Figure 3 (profile '{cfg.get('profile')}'). Meta-learning curves on the bandit: J(eta), the "
        f"mean reward per pull over a lifetime of L = {L} inner updates, at the meta-parameters eta "
        f"after each number of meta-gradient updates, starting from eta = "
        f"({', '.join(f'{v:g}' for v in eta) if eta else '?'}); no truncation. Lines: mean over seeds; "
        f"bands: +- 1 s.e. over seeds. Sampling correction is the meta-gradient with c = 1; naive "
        f"ignores the dependence of the data on eta. Optimizer {str(opt).upper()}"
        + (f", learning rates: {lr_text}" if lr_text else "") + ". "
        f"Sample sizes: {style.training_sizes(section, df)}.{div_text} "
        f"Final values (mean +- s.e.): {'; '.join(finals)}.{style.scaling_note(section)} "
        f"Paper: 100,000 updates, 1,000 bandits per update, 10 seeds, SGD 0.01."
    )
    return fig, caption
