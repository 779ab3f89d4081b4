"""Figure 2: meta-learning trajectories on the return landscape (bandit, L = 30, no truncation).

Input tables ``trajectories`` (from :mod:`metagrad.experiments.trajectories`; one row per
evaluation: ``estimator`` in fd, naive, correction, dice; ``run_id``, ``start_index``, ``seed``,
``update``, ``eta_0``, ``eta_1``, ``mean_reward``, ``learning_rate``, ...) and ``landscape``
(``eta_0``, ``eta_1``, ``mean_reward`` per grid point and seed; averaged over seeds).
Four panels (FD, naive, sampling correction c = 1, DiCE), each the landscape as a heatmap with
the trajectories of eta drawn on top (start: cross, end: dot), as in
../shared/reference/paper-trajectories.png.
"""

from __future__ import annotations

import numpy as np

from metagrad.figures import style

ORDER = ("fd", "naive", "correction", "dice")
TRAJECTORY_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                     "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def _landscape_grid(df):
    g = df.groupby(["eta_0", "eta_1"], as_index=False)["mean_reward"].mean()
    piv = g.pivot(index="eta_1", columns="eta_0", values="mean_reward").sort_index().sort_index(axis=1)
    return piv.columns.to_numpy(float), piv.index.to_numpy(float), piv.to_numpy(float)


def _half_step(v):
    return float(np.min(np.diff(v))) / 2 if len(v) > 1 else 0.5


def _view(traj, x, y):
    """Axis limits: the region the trajectories visit (robust to a few runaway runs), the start
    points included, plus a margin; clipped to the landscape grid."""
    e0 = traj["eta_0"].to_numpy(float)
    e1 = traj["eta_1"].to_numpy(float)
    ok = np.isfinite(e0) & np.isfinite(e1)
    e0, e1 = e0[ok], e1[ok]
    starts = traj[traj["update"] == traj["update"].min()]
    s0, s1 = starts["eta_0"].to_numpy(float), starts["eta_1"].to_numpy(float)
    lims = []
    for pts, st, grid in ((e0, s0, x), (e1, s1, y)):
        if pts.size:
            lo = min(np.nanmin(st) if st.size else np.inf, np.quantile(pts, 0.02))
            hi = max(np.nanmax(st) if st.size else -np.inf, np.quantile(pts, 0.98))
        else:
            lo, hi = grid.min(), grid.max()
        span = max(hi - lo, 1.0)
        lo, hi = lo - 0.15 * span, hi + 0.15 * span
        h = _half_step(grid)
        lims.append((max(lo, grid.min() - h), min(hi, grid.max() + h)))
    # keep the two axes on the same scale when both fit (square panels, as in the paper)
    (x0, x1), (y0, y1) = lims
    return (x0, x1), (y0, y1)


def draw(tables: dict, cfg: dict, section: dict):
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    if "trajectories" not in tables or "landscape" not in tables:
        raise KeyError(f"figure 'trajectories' needs tables 'trajectories' and 'landscape'; got {sorted(tables)}")
    traj = tables["trajectories"]
    land = tables["landscape"]
    style.set_style()
    x, y, z = _landscape_grid(land)
    (x0, x1), (y0, y1) = _view(traj, x, y)
    in_view = (x[None, :] >= x0 - _half_step(x)) & (x[None, :] <= x1 + _half_step(x)) \
        & (y[:, None] >= y0 - _half_step(y)) & (y[:, None] <= y1 + _half_step(y))
    zv = z[in_view & np.isfinite(z)]
    if zv.size == 0:
        zv = z[np.isfinite(z)]
    norm = mpl.colors.Normalize(float(zv.min()), float(zv.max()) if zv.max() > zv.min() else float(zv.min()) + 1e-9)
    cmap = style.get_cmap(style.LANDSCAPE_CMAP)

    present = list(dict.fromkeys(traj["estimator"]))
    estimators = [e for e in ORDER if e in present] + sorted(e for e in present if e not in ORDER)
    n = len(estimators)
    fig, axes = plt.subplots(1, n, figsize=(style.TEXT_WIDTH, style.TEXT_WIDTH / n + 0.35),
                             sharex=True, sharey=True, squeeze=False, layout="constrained")
    axes = axes[0]
    split = section.get("schedule_split_step")
    L = section.get("lifetime_length")
    lr_text, end_text, div_runs = [], [], []
    for ax, est in zip(axes, estimators):
        mesh = ax.pcolormesh(x, y, z, shading="nearest", cmap=cmap, norm=norm, rasterized=True)
        sub = traj[traj["estimator"] == est]
        for run_id, run in sub.groupby("run_id", sort=True):
            run = run.sort_values("update")
            si = int(run["start_index"].iloc[0]) if "start_index" in run else int(run_id)
            color = TRAJECTORY_COLORS[si % len(TRAJECTORY_COLORS)]
            e0, e1 = run["eta_0"].to_numpy(float), run["eta_1"].to_numpy(float)
            ok = np.isfinite(e0) & np.isfinite(e1)
            if not ok.all():
                div_runs.append((est, int(run_id)))
            ax.plot(e0[ok], e1[ok], color=color, linewidth=1.6, solid_capstyle="round", zorder=3)
            ax.plot(e0[0], e1[0], marker="x", color="black", markersize=5, markeredgewidth=1.0,
                    linestyle="none", zorder=4, clip_on=True)
            if ok.any():
                last = np.flatnonzero(ok)[-1]
                ax.plot(e0[last], e1[last], marker="o", color="black", markersize=3.5,
                        linestyle="none", zorder=5)
        ax.set_title(style.ESTIMATOR_LABELS.get(est, est))
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal", adjustable="box")
        ax.grid(False)
        ax.set_xlabel(r"$\eta_0$")
        if "learning_rate" in sub:
            lr_text.append(f"{style.ESTIMATOR_LABELS.get(est, est)} {sub['learning_rate'].iloc[0]:g}")
        fin = sub[sub["update"] == sub["update"].max()]
        end_text.append(f"{style.ESTIMATOR_LABELS.get(est, est)} {np.nanmean(fin['mean_reward']):.4f}")
    axes[0].set_ylabel(r"$\eta_1$")
    cbar = fig.colorbar(mesh, ax=list(axes), fraction=0.03, pad=0.01, aspect=15)
    cbar.set_label("mean reward per pull")
    cbar.ax.tick_params(labelsize="small")

    starts = sorted({(float(a), float(b)) for a, b in
                     traj[traj["update"] == traj["update"].min()][["eta_0", "eta_1"]].itertuples(index=False)})
    updates = section.get("num_updates", int(traj["update"].max()))
    div_text = (" Runs with non-finite eta (diverged; drawn up to the last finite point): "
                + ", ".join(f"{style.ESTIMATOR_LABELS.get(e, e)} run {r}" for e, r in div_runs) + "."
                if div_runs else "")
    nland = len(x) * len(y)
    caption = (
        f"Figure 2 (profile '{cfg.get('profile')}'). Meta-learning trajectories of eta = (eta_0, eta_1) "
        f"on the return landscape J(eta) (L = {L}, no truncation); x: eta_0 (learning rate "
        f"softplus(eta_0) for inner steps t < {split}), y: eta_1 (softplus(eta_1) afterwards). "
        f"Panels: finite differences, naive, sampling correction (c = 1), DiCE. Background: the "
        f"figure-1 landscape (mean reward per pull, averaged over {land['seed'].nunique() if 'seed' in land else '?'} "
        f"seed(s), {len(x)} x {len(y)} = {nland} grid points over [{x.min():g}, {x.max():g}] x "
        f"[{y.min():g}, {y.max():g}]), shown for the region the trajectories visit ([{x0:.2f}, {x1:.2f}] x "
        f"[{y0:.2f}, {y1:.2f}]; colour scale set by that region). {len(starts)} starts (crosses) "
        f"eta in {{{', '.join(f'{v:g}' for v in (section.get('start_values') or []))}}}^2; dots: eta after "
        f"{style.fmt_int(updates)} updates. Optimizer {str(section.get('optimizer', '?')).upper()}, learning rates: "
        f"{', '.join(lr_text)}. Sample sizes: {style.training_sizes(section, traj)}. Mean final J over the "
        f"starts: {'; '.join(end_text)}.{div_text}{style.scaling_note(section)} Paper: 100,000 updates, "
        f"1,000 bandits per update, SGD 0.01 (naive 0.05)."
    )
    return fig, caption
