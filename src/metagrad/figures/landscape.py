"""Figure 1: the return landscape J(eta) of the two-piece learning-rate schedule (bandit, L = 30).

Input table ``landscape`` (from :mod:`metagrad.experiments.landscape`), one row per grid point:
``eta_0, eta_1, mean_reward, mean_reward_se, num_lifetimes``.
Draws a filled contour of mean reward per pull over (eta_0 on x, eta_1 on y), marks the best
grid point, and returns a caption stating the grid, lifetimes per point and L.
"""

from __future__ import annotations

import numpy as np

from metagrad.figures import style

TABLE = "landscape"
COLUMNS = ("eta_0", "eta_1", "mean_reward", "mean_reward_se", "num_lifetimes")


def _grid(df):
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"landscape table lacks columns {missing}; has {list(df.columns)}")
    # average any repeated grid points (e.g. one row per seed) into one value per point
    g = df.groupby(["eta_0", "eta_1"], as_index=False).agg(
        mean_reward=("mean_reward", "mean"), num_lifetimes=("num_lifetimes", "sum"))
    piv = g.pivot(index="eta_1", columns="eta_0", values="mean_reward").sort_index().sort_index(axis=1)
    return g, piv


def draw(tables: dict, cfg: dict, section: dict):
    import matplotlib.pyplot as plt

    if TABLE in tables:
        df = tables[TABLE]
    elif len(tables) == 1:
        df = next(iter(tables.values()))
    else:
        raise KeyError(f"figure 'landscape' needs a table named {TABLE!r}; got {sorted(tables)}")
    style.set_style()
    g, piv = _grid(df)
    x = piv.columns.to_numpy(dtype=float)
    y = piv.index.to_numpy(dtype=float)
    z = piv.to_numpy(dtype=float)

    fig, ax = plt.subplots(figsize=(style.COLUMN_WIDTH + 0.6, style.COLUMN_WIDTH))
    finite = z[np.isfinite(z)]
    from matplotlib.ticker import MaxNLocator

    levels = (MaxNLocator(nbins=14).tick_values(finite.min(), finite.max())
              if finite.size and finite.max() > finite.min() else 15)
    cs = ax.contourf(x, y, z, levels=levels, cmap=style.LANDSCAPE_CMAP)
    ax.contour(x, y, z, levels=cs.levels[::2], colors="white", linewidths=0.3, alpha=0.6)
    cbar = fig.colorbar(cs, ax=ax)
    cbar.set_label("mean reward per pull")

    best = g.loc[g["mean_reward"].idxmax()]
    worst = g.loc[g["mean_reward"].idxmin()]
    ax.plot(best["eta_0"], best["eta_1"], marker="*", color="white", markeredgecolor="black",
            markersize=11, linestyle="none", label=f"max {best['mean_reward']:.3f}")
    ax.legend(loc="upper right", fontsize="small", frameon=True)
    split = section.get("schedule_split_step")
    L = section.get("lifetime_length")
    ax.set_xlabel(r"$\eta_0$ (learning rate softplus($\eta_0$) for $t<%s$)" % split if split is not None else r"$\eta_0$")
    ax.set_ylabel(r"$\eta_1$ (softplus($\eta_1$) afterwards)" if split is not None else r"$\eta_1$")
    ax.set_title(f"Return landscape, L = {L}")
    ax.grid(False)
    fig.tight_layout()

    per_point = g["num_lifetimes"]
    lifetimes = (f"{int(per_point.iloc[0]):,}" if per_point.nunique() == 1
                 else f"{int(per_point.min()):,}-{int(per_point.max()):,}")
    bandit = cfg.get("bandit", {})
    sizes = ""
    if {"num_bandits", "num_iterations", "num_seeds"} <= set(section):
        sizes = (f" ({section['num_bandits']:,} bandits x {section['num_iterations']:,} iterations x "
                 f"{section['num_seeds']:,} seeds)")
    caption = (
        f"Figure 1 (profile '{cfg.get('profile')}'). Return landscape J(eta): mean reward per pull over "
        f"a lifetime of L = {L} inner updates of softmax REINFORCE on a {bandit.get('num_arms', '?')}-armed "
        f"bandit (B = {bandit.get('batch_size', '?')} pulls per step), with learning rate softplus(eta_0) "
        f"before step {split} and softplus(eta_1) after. Grid {len(x)} x {len(y)} over "
        f"[{x.min():g}, {x.max():g}] x [{y.min():g}, {y.max():g}]; {lifetimes} lifetimes per grid point{sizes}. "
        f"Maximum {best['mean_reward']:.3f} at eta = ({best['eta_0']:.2f}, {best['eta_1']:.2f}) (star); "
        f"minimum {worst['mean_reward']:.3f} at eta = ({worst['eta_0']:.2f}, {worst['eta_1']:.2f}). "
        f"Paper (50 x 50 grid, 500,000 lifetimes per point): range about 0.03 to 0.26, maximum near eta = (2.5, 3-4)."
    )
    return fig, caption
