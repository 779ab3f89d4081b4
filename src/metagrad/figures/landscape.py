"""Figure 1: the return landscape J(eta) of the two-piece learning-rate schedule (bandit, L = 30).

Input table ``landscape`` (from :mod:`metagrad.experiments.landscape`), one row per grid point
(and seed): ``eta_0, eta_1, mean_reward, mean_reward_se, num_lifetimes``. Draws one cell per grid
point (no interpolation: a contour would turn sampling noise into islands), coloured by the mean
reward per pull, eta_0 on x and eta_1 on y, marks the best grid point, and returns a caption
stating the grid, lifetimes per point and L.
"""

from __future__ import annotations

from metagrad.config import task_config
from metagrad.figures import captions, inputs, style

TABLE = "landscape"
COLUMNS = ("eta_0", "eta_1", "mean_reward", "mean_reward_se", "num_lifetimes")


def draw(tables: dict, cfg: dict, section: dict):
    import matplotlib.pyplot as plt

    df = inputs.pick_table(tables, TABLE, "landscape")
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"landscape table lacks columns {missing}; has {list(df.columns)}")
    style.set_style()
    x, y, z, points = inputs.landscape_grid(df)

    fig, ax = plt.subplots(figsize=(style.COLUMN_WIDTH + 0.6, style.COLUMN_WIDTH), layout="constrained")
    mesh = ax.pcolormesh(x, y, z, shading="nearest", cmap=style.LANDSCAPE_CMAP, rasterized=True)
    fig.colorbar(mesh, ax=ax, shrink=0.82).set_label("mean reward per pull")
    best = points.loc[points["mean_reward"].idxmax()]
    worst = points.loc[points["mean_reward"].idxmin()]
    ax.plot(best["eta_0"], best["eta_1"], marker="*", color="white", markeredgecolor="black",
            markersize=11, linestyle="none", label=f"max {best['mean_reward']:.3f}")
    ax.legend(loc="upper right", fontsize="small", frameon=True)
    split = section.get("schedule_split_step")
    L = section.get("lifetime_length")
    ax.set_xlabel(r"$\eta_0$ (learning rate softplus($\eta_0$) for $t<%s$)" % split
                  if split is not None else r"$\eta_0$")
    ax.set_ylabel(r"$\eta_1$ (softplus($\eta_1$) afterwards)" if split is not None else r"$\eta_1$")
    ax.set_title(f"Return landscape, L = {L}")
    ax.set_aspect("equal", adjustable="box")
    ax.grid(False)

    per_point = points["num_lifetimes"]
    lifetimes = (captions.fmt_int(per_point.iloc[0]) if per_point.nunique() == 1
                 else f"{captions.fmt_int(per_point.min())}-{captions.fmt_int(per_point.max())}")
    task = task_config(cfg, section)
    sizes = ""
    if {"num_bandits", "num_iterations", "num_seeds"} <= set(section):
        sizes = (f" ({captions.fmt_int(section['num_bandits'])} bandits x "
                 f"{captions.fmt_int(section['num_iterations'])} iterations x "
                 f"{captions.plural(section['num_seeds'], 'seed')})")
    caption = (
        f"Figure 1 (profile '{cfg.get('profile')}'). Return landscape J(eta): mean reward per pull over "
        f"a lifetime of L = {L} inner updates of softmax REINFORCE on a {task.get('num_arms', '?')}-armed "
        f"bandit (B = {task.get('batch_size', '?')} pulls per step), with learning rate softplus(eta_0) "
        f"before step {split} and softplus(eta_1) after. One cell per grid point, no interpolation: "
        f"grid {len(x)} x {len(y)} over [{x.min():g}, {x.max():g}] x [{y.min():g}, {y.max():g}]; "
        f"{lifetimes} lifetimes per grid point{sizes}, every point on the same bandits; each "
        f"lifetime scored by the expected reward of its policy at each step (same J, less noise). Maximum {best['mean_reward']:.3f} at eta = "
        f"({best['eta_0']:.2f}, {best['eta_1']:.2f}) (star); minimum {worst['mean_reward']:.3f} at eta = "
        f"({worst['eta_0']:.2f}, {worst['eta_1']:.2f}). Paper (50 x 50 grid, 500,000 lifetimes per point): "
        f"range about 0.03 to 0.26, maximum near eta = (2.5, 3-4)."
    )
    return fig, caption
