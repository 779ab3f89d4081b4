"""Figure 3: meta-learning curves from eta = (2, 2) (bandit, L = 30, no truncation).

Input table ``learning_curves`` (from :mod:`metagrad.experiments.learning_curves`), one row per
evaluation: ``estimator`` (fd, naive, correction, dice, dice_correction), ``seed``, ``update``,
``mean_reward`` (J at the evaluated eta: mean reward per pull over the lifetime), ...
Draws mean +- s.e. over seeds against meta-updates, one line per estimator, with the
vocabulary's labels and colours (/work/shared/reference/paper-learning-curves.png).
"""

from __future__ import annotations

from metagrad import names
from metagrad.figures import captions, inputs, style

TABLE = "learning_curves"


def draw(tables: dict, cfg: dict, section: dict):
    import matplotlib.pyplot as plt

    df = inputs.pick_table(tables, TABLE, "learning_curves")
    style.set_style()
    fig, ax = plt.subplots(figsize=(style.COLUMN_WIDTH + 0.6, 3.8), layout="constrained")
    finals = []
    for est in inputs.ordered_estimators(df["estimator"]):
        s = inputs.mean_se_over(df[df["estimator"] == est], ["update"])
        style.mean_band(ax, s, names.color(est), label=names.label(est), linewidth=1.3, alpha=0.3)
        last = s.iloc[-1]
        finals.append(f"{names.label(est)} {last['mean']:.4f} +- {last['se']:.4f}")
    style.sci_updates_axis(ax, paper_factor=section.get("paper_update_factor"))
    ax.set_ylabel("average reward per step\n(mean reward per pull over the lifetime)")
    fig.legend(loc="outside lower center", ncol=2, fontsize="small")
    L = section.get("lifetime_length")
    ax.set_title(f"Meta-learning curves, L = {L}" if L else "Meta-learning curves")

    diverged = captions.diverged_sentence(inputs.diverged_runs(df, ["estimator", "seed"]),
                                          lambda e, s: f"{names.label(e)} seed {s}",
                                          left_out="left out of the mean from then on")
    lrs = section.get("learning_rates") or {}
    lr_text = ", ".join(f"{names.label(names.canonical(k))} {v:g}" for k, v in lrs.items())
    opt = section.get("optimizer", df["optimizer"].iloc[0] if "optimizer" in df else "?")
    caption = (
        f"Figure 3 (profile '{cfg.get('profile')}'). Meta-learning curves on the bandit: J(eta), the "
        f"mean reward per pull over a lifetime of L = {L} inner updates, at the meta-parameters eta "
        f"after each number of meta-gradient updates, starting from eta = "
        f"{captions.eta_text(section.get('eta_start'))}; no truncation. Lines: mean over seeds; bands: "
        f"+- 1 s.e. over seeds. Sampling correction is the meta-gradient with c = 1; naive ignores the "
        f"dependence of the data on eta. Optimizer {str(opt).upper()}"
        + (f", learning rates: {lr_text}" if lr_text else "") + ". "
        f"Sample sizes: {captions.training_sizes(section, df)}.{diverged} "
        f"Final values (mean +- s.e.): {'; '.join(finals)}.{captions.scaling_note(section)} "
        f"Paper: 100,000 updates, 1,000 bandits per update, 10 seeds, SGD 0.01."
    )
    return fig, caption
