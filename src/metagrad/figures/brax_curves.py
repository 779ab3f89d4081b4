"""Brax meta-learning curves (ours, beyond the paper; spec section 7).

Input table ``brax_training`` (:mod:`metagrad.experiments.brax_training`): one row per (run,
evaluation) with ``label`` (naive, truncated correction, untruncated correction, ES),
``seed``, ``update`` and ``mean_reward`` (J: reward per env step over a lifetime, on shared
evaluation tasks). Mean +- s.e. over seeds against meta-updates, one line per estimator row.
"""

from __future__ import annotations

from metagrad import names
from metagrad.figures import captions, inputs, style
from metagrad.figures.brax_frontier import task_text

TABLE = "brax_training"


def draw(tables: dict, cfg: dict, section: dict):
    import matplotlib.pyplot as plt

    df = inputs.pick_table(tables, TABLE, "brax_curves")
    style.set_style()
    fig, ax = plt.subplots(figsize=(style.COLUMN_WIDTH + 0.6, 3.8), layout="constrained")
    finals = []
    styles = ("-", "--", "-", "-")
    for i, (row, g) in enumerate(df.groupby("estimator_row", sort=True)):
        code, label = g["estimator"].iloc[0], g["label"].iloc[0]
        s = inputs.mean_se_over(g, ["update"])
        t = int(g["truncation_length"].iloc[0])
        text = f"{label} (truncation {t})" if code != "naive" else label
        color = names.color(code)
        ax.plot(s["update"], s["mean"], color=color, label=text, linewidth=1.3,
                linestyle=styles[i % len(styles)])
        ax.fill_between(s["update"], s["mean"] - s["se"], s["mean"] + s["se"], color=color,
                        alpha=0.2, linewidth=0)
        last = s.iloc[-1]
        finals.append(f"{text} {last['mean']:.4f} +- {last['se']:.4f}")
    ax.set_xlabel("meta-updates (Adam)")
    ax.set_ylabel("J: reward per env step\n(mean over the lifetime)")
    fig.legend(loc="outside lower center", ncol=2, fontsize="small")
    L = section.get("lifetime_length")
    ax.set_title(f"Brax (ours): meta-learning curves, L = {L}")
    baseline = ("with the history baseline of the sampling correction (ours; the same mean)"
                if section.get("mg_baseline") == "history" else "without a correction baseline")
    caption = (
        f"Brax meta-learning curves (profile '{cfg.get('profile')}') on "
        f"{task_text(cfg, section)}: J(eta), the mean reward per env step over a lifetime of "
        f"L = {L} REINFORCE updates, at the learning-rate schedule eta after each number of Adam "
        f"meta-updates (learning rate {section.get('learning_rate')}), from eta = "
        f"{captions.eta_text(section.get('eta_start'))}. MG rows {baseline}; ES: antithetic, sigma "
        f"{section.get('es_sigma')}, untruncated. Lines: mean over {df['seed'].nunique()} seeds; "
        f"bands: +- 1 s.e. over seeds; every evaluation uses the same {section.get('eval_lifetimes')} "
        f"tasks and noise (paired). {section.get('samples_per_update')} gradient samples (tasks) per "
        f"meta-update. Final values (mean +- s.e.): {'; '.join(finals)}.{captions.scaling_note(section)}"
    )
    return fig, caption
