"""Figure 2: meta-learning trajectories on the return landscape (bandit, L = 30, no truncation).

Input tables ``trajectories`` (from :mod:`metagrad.experiments.trajectories`; one row per
evaluation: ``estimator`` in fd, naive, correction, dice; ``run_id``, ``start_index``, ``seed``,
``update``, ``eta_0``, ``eta_1``, ``mean_reward``, ``learning_rate``, ...) and ``landscape``
(``eta_0``, ``eta_1``, ``mean_reward`` per grid point and seed; averaged over seeds).
Four square panels with equal axes (FD, naive, sampling correction c = 1, DiCE), each the
landscape as grid cells with the trajectories of eta on top (start: cross, end: dot), as in
/work/shared/reference/paper-trajectories.png. The window holds the starts and every path that
stays near them (within one start-box side); a runaway path is cut at the window's edge and the
caption names it, so the other panels stay readable at paper size.
"""

from __future__ import annotations

import numpy as np

from metagrad import names
from metagrad.figures import captions, inputs, style

PATH_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
               "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")  # one per start (tab10), as in the paper
MARGIN = 0.06  # of the window's side
REACH = 1.0  # a path is a runaway when it leaves the starts' box widened by REACH x its side


def square_window(e0, e1, x_extent, y_extent):
    """The smallest square (with a margin) holding every finite point (e0, e1), moved or cut to
    stay inside the landscape's extent; ((x0, x1), (y0, y1))."""
    ok = np.isfinite(e0) & np.isfinite(e1)
    if not ok.any():
        return x_extent, y_extent
    lo = np.array([e0[ok].min(), e1[ok].min()])
    hi = np.array([e0[ok].max(), e1[ok].max()])
    side = max(float(np.max(hi - lo)), 1.0) * (1 + 2 * MARGIN)
    centre = (lo + hi) / 2
    out = []
    for c, (a, b) in zip(centre, (x_extent, y_extent)):
        lo_, hi_ = c - side / 2, c + side / 2
        if lo_ < a:
            lo_, hi_ = a, min(a + side, b)
        elif hi_ > b:
            lo_, hi_ = max(b - side, a), b
        out.append((lo_, hi_))
    return tuple(out)


def runaway(e0, e1, starts_box) -> bool:
    """True when the path goes farther from the starts' box than REACH x its side."""
    (a0, a1), (b0, b1) = starts_box
    reach = REACH * max(a1 - a0, b1 - b0, 1.0)
    return _outside(e0, e1, ((a0 - reach, a1 + reach), (b0 - reach, b1 + reach)))


def _outside(e0, e1, window) -> bool:
    (x0, x1), (y0, y1) = window
    ok = np.isfinite(e0) & np.isfinite(e1)
    return bool(((e0[ok] < x0) | (e0[ok] > x1) | (e1[ok] < y0) | (e1[ok] > y1)).any())


def _draw_path(ax, run, color):
    e0, e1 = run["eta_0"].to_numpy(float), run["eta_1"].to_numpy(float)
    ok = np.isfinite(e0) & np.isfinite(e1)
    ax.plot(e0[ok], e1[ok], color=color, linewidth=1.6, solid_capstyle="round", zorder=3)
    ax.plot(e0[0], e1[0], marker="x", color="black", markersize=5, markeredgewidth=1.0,
            linestyle="none", zorder=4)
    if ok.any():
        last = np.flatnonzero(ok)[-1]
        ax.plot(e0[last], e1[last], marker="o", color="black", markersize=3.5, linestyle="none", zorder=5)
    return e0, e1, bool(ok.all())


def _window(traj, x, y):
    """The square window of the starts and the paths that are no runaways."""
    first = traj[traj["update"] == traj["update"].min()]
    box = ((first["eta_0"].min(), first["eta_0"].max()), (first["eta_1"].min(), first["eta_1"].max()))
    kept = [run for _, run in traj.groupby(["estimator", "run_id"])
            if not runaway(run["eta_0"].to_numpy(float), run["eta_1"].to_numpy(float), box)]
    pts = [first] + kept
    e0 = np.concatenate([p["eta_0"].to_numpy(float) for p in pts])
    e1 = np.concatenate([p["eta_1"].to_numpy(float) for p in pts])
    return square_window(e0, e1, style.grid_extent(x), style.grid_extent(y))


def draw(tables: dict, cfg: dict, section: dict):
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    if "trajectories" not in tables or "landscape" not in tables:
        raise KeyError(f"figure 'trajectories' needs tables 'trajectories' and 'landscape'; got {sorted(tables)}")
    traj = inputs.pick_table(tables, "trajectories", "trajectories")
    land = tables["landscape"]
    style.set_style()
    x, y, z, _ = inputs.landscape_grid(land)
    window = _window(traj, x, y)
    (x0, x1), (y0, y1) = window
    seen = (x[None, :] >= x0) & (x[None, :] <= x1) & (y[:, None] >= y0) & (y[:, None] <= y1) & np.isfinite(z)
    zv = z[seen] if seen.any() else z[np.isfinite(z)]
    norm = mpl.colors.Normalize(float(zv.min()), max(float(zv.max()), float(zv.min()) + 1e-9))

    estimators = inputs.ordered_estimators(traj["estimator"])
    n = len(estimators)
    fig, axes = plt.subplots(1, n, figsize=(style.TEXT_WIDTH, style.TEXT_WIDTH / n + 0.45),
                             sharex=True, sharey=True, squeeze=False, layout="constrained")
    axes = axes[0]
    lr_text, end_text, diverged, cut = [], [], [], []
    for ax, est in zip(axes, estimators):
        label = names.label(est)
        mesh = ax.pcolormesh(x, y, z, shading="nearest", cmap=style.LANDSCAPE_CMAP, norm=norm, rasterized=True)
        sub = traj[traj["estimator"] == est]
        for run_id, run in sub.groupby("run_id", sort=True):
            run = run.sort_values("update")
            start = int(run["start_index"].iloc[0]) if "start_index" in run else int(run_id)
            e0, e1, finite = _draw_path(ax, run, PATH_COLORS[start % len(PATH_COLORS)])
            where = f"{label} from eta = {captions.eta_text([e0[0], e1[0]])}"
            if not finite:
                diverged.append(where)
            if _outside(e0, e1, window):
                cut.append(where)
        ax.set_title(label)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal", adjustable="box")
        ax.grid(False)
        ax.set_xlabel(r"$\eta_0$")
        if "learning_rate" in sub:
            lr_text.append(f"{label} {sub['learning_rate'].iloc[0]:g}")
        final = sub[sub["update"] == sub["update"].max()]
        end_text.append(f"{label} {np.nanmean(final['mean_reward']):.4f}")
    axes[0].set_ylabel(r"$\eta_1$")
    cbar = fig.colorbar(mesh, ax=list(axes), fraction=0.03, pad=0.01, aspect=15)
    cbar.set_label("mean reward per pull")
    cbar.ax.tick_params(labelsize="small")

    starts = traj[traj["update"] == traj["update"].min()][["eta_0", "eta_1"]].drop_duplicates()
    updates = section.get("num_updates", int(traj["update"].max()))
    seeds = land["seed"].nunique() if "seed" in land else "?"
    window_text = ("; every path lies inside this window" if not cut else
                   "; paths leaving the window (cut at its edge; every other path lies inside): "
                   + ", ".join(cut))
    div_text = (" Runs with non-finite eta (diverged; drawn up to the last finite point): "
                + ", ".join(diverged) + "." if diverged else "")
    caption = (
        f"Figure 2 (profile '{cfg.get('profile')}'). Meta-learning trajectories of eta = (eta_0, eta_1) "
        f"on the return landscape J(eta) (L = {section.get('lifetime_length')}, no truncation); x: eta_0 "
        f"(learning rate softplus(eta_0) for inner steps t < {section.get('schedule_split_step')}), y: eta_1 "
        f"(softplus(eta_1) afterwards); square panels, equal axes. Panels: "
        f"{', '.join(names.label(e) for e in estimators)} (sampling correction: c = 1). Background: the "
        f"figure-1 landscape (mean reward per pull, averaged over {seeds} seed(s), one cell per grid point, "
        f"{len(x)} x {len(y)} points over [{x.min():g}, {x.max():g}] x [{y.min():g}, {y.max():g}]), shown in "
        f"the window [{x0:.2f}, {x1:.2f}] x [{y0:.2f}, {y1:.2f}]{window_text}; colour scale set by the window. "
        f"{len(starts)} starts (crosses) eta in {{{', '.join(f'{v:g}' for v in (section.get('start_values') or []))}}}^2; "
        f"dots: eta after {captions.fmt_int(updates)} updates. Optimizer "
        f"{str(section.get('optimizer', '?')).upper()}, learning rates: {', '.join(lr_text)}. Sample sizes: "
        f"{captions.training_sizes(section, traj)}. Mean final J over the starts: {'; '.join(end_text)}."
        f"{div_text}{captions.scaling_note(section)} Paper: 100,000 updates, 1,000 bandits per update, "
        f"SGD 0.01 (naive 0.05)."
    )
    return fig, caption
