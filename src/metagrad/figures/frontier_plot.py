"""Bias-variance frontier drawing shared by figures 4, 5 and 8.

A frontier table (``frontier_aggregate``, one row per estimator setting) becomes points and sweep
lines (:func:`layout`), which one panel draws for one x metric (:func:`draw_panel`): x = the
metric with horizontal error bars, y = grid-mean variance on a log scale. A point whose x lies
outside the panel's fixed limits, or far beyond the other points, is drawn at the panel's edge
with its value printed beside it, in every panel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from metagrad import names
from metagrad.figures import captions, inputs, style

FRONTIER_TABLE = "frontier_aggregate"
BIAS_SCALE = 1e4
OFF_SCALE_FACTOR = 2.0  # off scale: farther beyond the other points than this x their spread
CI_REACH = 0.5          # an error bar widens the view by at most this x the points' spread
IDENTITY_COLUMNS = ("bias_raw", "bias_corrected", "variance", "cosine")
LINE_COLOR = "0.2"
TEXT_COLOR = "0.15"
LABEL_OFFSETS = {"naive": (4, 6), "DiCE": (5, -12)}  # points; DiCE sits at the top of the panel


@dataclass(frozen=True)
class Panel:
    """One panel's x axis: ``metric`` x ``scale`` (negated if ``negate``), error bars from
    ``interval`` ('grid': the paper's grid error; 'ci': the 95 % batch-bootstrap interval),
    fixed ``limits`` (None = set by the points)."""
    metric: str
    xlabel: str
    title: str
    scale: float = 1.0
    negate: bool = False
    interval: str = "grid"
    limits: tuple = (None, None)
    annotate: bool = True  # name the naive and DiCE points


RAW_BIAS = Panel("bias_raw", r"bias [$10^{-4}$] (mean sq. diff. to FD)", "raw bias (paper's metric)",
                 scale=BIAS_SCALE, limits=(0.0, None))
CORRECTED_BIAS = Panel("bias_corrected", r"noise-corrected bias [$10^{-4}$]",
                       "noise-corrected bias, 95 % CI", scale=BIAS_SCALE, interval="ci", annotate=False)
NEG_COSINE = Panel("cosine", "negative cosine similarity to FD", "negative mean cosine (paper's metric)",
                   negate=True, limits=(-1.0, 0.0))
# ours: decisive metrics from the variance-reduced, paired rows (summaries/frontier.py)
DECISIVE_BIAS = Panel("bias_decisive", r"decisive bias [$10^{-4}$] (ours)",
                      "decisive bias (ours), 95 % CI", scale=BIAS_SCALE, interval="ci",
                      annotate=False)
POOLED_COSINE = Panel("cosine_pooled_fd", "negative pooled cosine to FD (ours)",
                      "negative pooled, noise-corrected cosine (ours), 95 % CI", negate=True,
                      interval="ci", limits=(-1.0, 0.0), annotate=False)


def decisive_sentence(panels, section: dict | None = None) -> str:
    """Caption text for the decisive panel (ours), if drawn; ``section`` says whether ES has
    variance-reduced rows (``es_rb_batches``)."""
    es_rb = bool((section or {}).get("include_es") and (section or {}).get("es_rb_batches"))
    es_text = (" For ES, which cannot share c = 1's lifetimes: the noise-corrected squared "
               "difference of its mean to untruncated c = 1's variance-reduced mean (independent "
               "samples), from ES rows that use the expected reward given the history as fitness "
               "and the same random numbers for both antithetic members (ours: each member's "
               "distribution, hence ES's mean, is unchanged)." if es_rb
               else " For ES: its noise-corrected bias against FD.")
    if DECISIVE_BIAS in panels:
        return (" Right (ours): the decisive bias x 1e4, 95 % batch-bootstrap CI. For MG settings "
                "and DiCE: the noise-corrected squared mean of each setting's paired difference "
                "to untruncated c = 1 on the SAME lifetimes, computed with Rao-Blackwellized outer "
                "terms (expected reward given the history) and a lookahead control variate, which "
                "leave every estimator's mean unchanged (proven by enumeration) and cut its "
                "variance; untruncated c = 1 is exactly unbiased, so this is E[estimate] - "
                "grad J. Untruncated c = 1 itself is 0 here by construction and is tested against "
                "FD in the audit (C1)." + es_text
                + " The variance axis is the raw estimators' single-sample variance, as in the "
                "paper.")
    if POOLED_COSINE in panels:
        return (" Right (ours): the negative grid-pooled cosine to FD with the dot product and both "
                "squared norms corrected for sampling noise (always defined, unlike a per-point "
                "corrected cosine), 95 % parametric-bootstrap CI; MG settings use their "
                "Rao-Blackwellized rows (same mean)." + es_text)
    return ""


def second_panel(tables: dict, decisive: Panel, fallback: Panel | None) -> tuple[Panel, ...]:
    """``decisive`` where the frontier table has its metric (results made with the paired,
    variance-reduced rows), else ``fallback`` (older results)."""
    agg = tables.get(FRONTIER_TABLE)
    if agg is not None and decisive.metric in agg and agg[decisive.metric].notna().any():
        return (decisive,)
    return (fallback,) if fallback is not None else ()


def lifetime_length(agg, section: dict) -> int | None:
    L = (section or {}).get("lifetime_length")
    if L is None and "lifetime_length" in agg:
        L = agg["lifetime_length"].iloc[0]
    return int(L) if L is not None else None


def metric_x(agg, panel: Panel):
    """x, asymmetric error bars (2, n) and interval ends of ``panel``'s metric for every row."""
    sign = -1.0 if panel.negate else 1.0
    x = sign * panel.scale * agg[panel.metric].to_numpy(float)
    if panel.interval == "grid":
        col = f"{panel.metric}_grid_err"
        e = panel.scale * agg[col].to_numpy(float) if col in agg else np.full(len(agg), np.nan)
        low, high = x - e, x + e
    else:
        a = sign * panel.scale * agg[f"{panel.metric}_ci_low"].to_numpy(float)
        b = sign * panel.scale * agg[f"{panel.metric}_ci_high"].to_numpy(float)
        low, high = np.minimum(a, b), np.maximum(a, b)
    err = np.vstack([np.clip(x - low, 0, None), np.clip(high - x, 0, None)])
    return x, err, low, high


def mg_rows(agg):
    """Meta-gradient rows (naive and correction) with ``c`` and ``gm`` (gamma_m) filled in."""
    rows = agg[agg["estimator"].isin(["naive", "correction"])].copy()
    rows["c"] = rows["coefficient"].astype(float).fillna(0.0)
    rows["gm"] = rows["meta_discount"].astype(float).fillna(1.0) if "meta_discount" in rows else 1.0
    return rows


def _identical(rows) -> bool:
    """True when every row has the same metrics (e.g. truncation 1, where c has no effect)."""
    cols = [c for c in IDENTITY_COLUMNS if c in rows]
    if len(rows) <= 1 or not cols:
        return False
    vals = rows[cols].to_numpy(float)
    return bool(np.allclose(vals, vals[0], rtol=1e-9, atol=0.0, equal_nan=True))


def _name(r, L) -> str:
    if r.estimator == "dice":
        return names.short_label("dice")
    trunc = style.truncation_label(r.truncation_length, L)
    if r.estimator == "es":
        return f"ES, {trunc}"
    text = f"{trunc}, c = {float(r.coefficient):g}"
    gm = getattr(r, "meta_discount", 1.0)
    return text + (f", gamma_m = {float(gm):g}" if np.isfinite(gm) and gm < 1 else "")


def layout(agg, L, *, discount: bool = False):
    """Points, sweep lines and collapsed truncations of a frontier.

    Points: one dict per drawn row (``row`` = index label in ``agg``, ``color``, ``marker``,
    ``outlined``, ``name``, ``label``: "naive" or "DiCE" where the panel names the point). MG: colour = c (viridis), marker = truncation; with ``discount``,
    meta-discount points (c = 1, gamma_m < 1) in the discount palette, outlined. ES: the
    vocabulary's ES colour, same markers. DiCE: a cross coloured by its c. Lines: (rows in sweep
    order, linestyle): solid through each truncation's c sweep, dashed through its gamma_m sweep
    (ending at c = gamma_m = 1). A truncation whose settings are identical is drawn as one point."""
    markers = style.truncation_markers(agg["truncation_length"].astype(int), L)
    ccol = style.coefficient_colors(np.linspace(0, 1, 11).tolist()
                                    + agg["coefficient"].dropna().astype(float).tolist())
    points, lines, collapsed = [], [], []

    def add(row, r, color, outlined=False, label=None):
        points.append({"row": row, "color": color, "marker": markers[int(r.truncation_length)],
                       "outlined": outlined, "name": _name(r, L), "label": label})

    mg = mg_rows(agg)
    coef = mg[np.isclose(mg["gm"], 1.0)]
    for T, rows in coef.groupby("truncation_length", sort=True):
        rows = rows.sort_values("c")
        if _identical(rows):
            collapsed.append(int(T))
            rows = rows.iloc[:1]
        lines.append((list(rows.index), "-"))
        shortest = int(T) == min(markers)
        for row, r in zip(rows.index, rows.itertuples(index=False)):
            add(row, r, ccol[float(r.c)], label="naive" if shortest and r.c == 0 else None)
    if discount:
        dcol = style.discount_colors(mg["gm"].tolist())
        disc = mg[(mg["gm"] < 1.0) & np.isclose(mg["c"], 1.0)]
        for T, rows in disc.groupby("truncation_length", sort=True):
            end = coef[(coef["truncation_length"] == T) & np.isclose(coef["c"], 1.0)]
            both = pd.concat([rows, end]).sort_values("gm")
            if _identical(both):
                collapsed.append(int(T))
                continue
            lines.append((list(both.index), "--"))
            rows = rows.sort_values("gm")
            for row, r in zip(rows.index, rows.itertuples(index=False)):
                add(row, r, dcol[float(r.gm)], outlined=True)
    es = agg[agg["estimator"] == "es"].sort_values("truncation_length")
    for row, r in zip(es.index, es.itertuples(index=False)):
        add(row, r, names.color("es"))
    dice = agg[agg["estimator"] == "dice"]
    for row, r in zip(dice.index, dice.itertuples(index=False)):
        c = float(r.coefficient) if np.isfinite(float(r.coefficient)) else 0.0
        points.append({"row": row, "color": ccol.get(c, ccol[0.0]), "marker": style.DICE_MARKER,
                       "outlined": False, "name": _name(r, L), "label": "DiCE"})
    return points, lines, sorted(set(collapsed))


def off_scale(x, limits=(None, None), factor: float = OFF_SCALE_FACTOR):
    """Mask of points to draw at the panel's edge: outside a fixed limit, or, on a side without
    one, farther beyond the remaining points than ``factor`` x their spread (repeated until no
    point is left out)."""
    x = np.asarray(x, float)
    lo, hi = limits
    finite = np.isfinite(x)
    off = np.zeros(len(x), bool)
    if lo is not None:
        off |= finite & (x < lo)
    if hi is not None:
        off |= finite & (x > hi)
    free = [s for s, fixed in ((1, hi), (-1, lo)) if fixed is None]
    changed = True
    while changed:
        changed = False
        for side in free:
            inside = np.flatnonzero(finite & ~off)
            if inside.size < 3:
                return off
            i = inside[np.argmax(side * x[inside])]
            rest = x[inside[inside != i]]
            spread = max(float(np.ptp(rest)), 1e-12)
            edge = rest.max() if side > 0 else rest.min()
            if side * (x[i] - edge) > factor * spread:
                off[i] = changed = True
    return off


def view_limits(x, err, off, limits, pad: float = 0.05, strip: float = 0.1,
                max_reach: float = CI_REACH):
    """x limits: the in-scale points with their error bars, padded, plus a strip for the
    off-scale points on a side without a fixed limit; fixed limits kept. An error bar reaching
    farther beyond the points than ``max_reach`` x their spread and twice the median error bar
    does not widen the view (one heavy-tailed interval would squash every point);
    :func:`draw_panel` labels where it ends."""
    keep = np.isfinite(x) & ~off
    lo_fixed, hi_fixed = limits
    if not keep.any():
        return (lo_fixed if lo_fixed is not None else -1.0, hi_fixed if hi_fixed is not None else 1.0)
    e = np.nan_to_num(err, nan=0.0)
    vlo, vhi = float(np.min(x[keep])), float(np.max(x[keep]))
    # a typical error bar always fits; beyond that, at most ``max_reach`` x the points' spread
    reach = max(max_reach * max(vhi - vlo, 1e-12), 2.0 * float(np.median(e[:, keep])))
    lo = max(float(np.min(x[keep] - e[0][keep])), vlo - reach)
    hi = min(float(np.max(x[keep] + e[1][keep])), vhi + reach)
    span = max(hi - lo, 1e-12)
    lo -= (pad + strip * bool((off & (x < lo)).any())) * span
    hi += (pad + strip * bool((off & (x > hi)).any())) * span
    return (lo_fixed if lo_fixed is not None else lo, hi_fixed if hi_fixed is not None else hi)


def _marker(ax, x, y, p, err=None):
    m = p["marker"]
    ax.errorbar([x], [y], xerr=err, fmt=m, color=p["color"], ecolor=p["color"],
                markersize=style.marker_size(m), markeredgecolor=LINE_COLOR if p["outlined"] else "none",
                markeredgewidth=0.6 if p["outlined"] else 0.0, elinewidth=0.9, capsize=2.0,
                zorder=3, linestyle="none")


def draw_panel(ax, agg, points, lines, panel: Panel) -> list[dict]:
    """Draw ``points`` and ``lines`` (from :func:`layout`) for ``panel``'s metric on ``ax``.

    Returns the off-scale points, each with its ``name``, ``value``, interval ends and ``text``
    (the label printed at the panel's edge)."""
    x, err, low, high = metric_x(agg, panel)
    y = agg["variance"].to_numpy(float)
    pos = {row: i for i, row in enumerate(agg.index)}
    idx = np.array([pos[p["row"]] for p in points], int)
    off_drawn = off_scale(x[idx], panel.limits)
    off = np.zeros(len(x), bool)
    off[idx[off_drawn]] = True
    lo, hi = view_limits(x[idx], err[:, idx], off_drawn, panel.limits)
    inset = 0.04 * (hi - lo)
    shown = np.clip(x, lo + inset, hi - inset)  # off-scale points sit just inside the edge

    for rows, linestyle in lines:
        ii = [pos[r] for r in rows]
        ok = np.isfinite(x[ii]) & np.isfinite(y[ii])
        if ok.sum() >= 2:
            ax.plot(shown[ii][ok], y[ii][ok], linestyle=linestyle, color=LINE_COLOR, linewidth=0.8, zorder=1)
    out = []
    for p, i in zip(points, idx):
        if not (np.isfinite(x[i]) and np.isfinite(y[i])):
            continue
        if off[i]:
            _marker(ax, shown[i], y[i], p)
            value = captions.fmt_value(x[i]) + (
                f" [{captions.fmt_value(low[i])}, {captions.fmt_value(high[i])}]" if panel.interval == "ci" else "")
            right = x[i] > hi
            text = f"{p['name']}: {value}"
            # beside the marker, towards the panel: below it, the text ran over other points
            ax.annotate(("" if right else "\u2190 ") + text + (" \u2192" if right else ""), (shown[i], y[i]),
                        xytext=(-8 if right else 8, 0), textcoords="offset points", fontsize="small",
                        color=TEXT_COLOR, ha="right" if right else "left", va="center")
            out.append({"name": p["name"], "value": float(x[i]), "low": float(low[i]),
                        "high": float(high[i]), "text": text})
            continue
        e = err[:, i:i + 1]
        _marker(ax, x[i], y[i], p, err=e if np.all(np.isfinite(e)) else None)
        clipped_high = panel.interval == "ci" and np.isfinite(high[i]) and high[i] > hi
        clipped_low = panel.interval == "ci" and np.isfinite(low[i]) and low[i] < lo
        if clipped_high:
            # below the interval's line: an off-scale point's label sits beside its marker
            ax.annotate(f"{p['name']} CI to {captions.fmt_value(high[i])} \u2192", (hi, y[i]),
                        xytext=(-2, -3), textcoords="offset points", fontsize="small",
                        color=TEXT_COLOR, ha="right", va="top")
        if clipped_low:
            ax.annotate(f"\u2190 {'to' if clipped_high else p['name'] + ' CI to'} "
                        f"{captions.fmt_value(low[i])}", (lo, y[i]), xytext=(2, -3),
                        textcoords="offset points", fontsize="small", color=TEXT_COLOR, ha="left",
                        va="top")
        if clipped_high or clipped_low:
            out.append({"name": p["name"], "value": float(x[i]), "low": float(low[i]),
                        "high": float(high[i]),
                        "text": (f"{p['name']}'s 95 % CI [{captions.fmt_value(low[i])}, "
                                 f"{captions.fmt_value(high[i])}], clipped")})
        if panel.annotate and p["label"]:
            ax.annotate(p["label"], (x[i], y[i]), xytext=LABEL_OFFSETS[p["label"]], textcoords="offset points",
                        fontsize="small", color=TEXT_COLOR)
    ax.set_xlim(lo, hi)
    ax.set_yscale("log")
    ax.set_xlabel(panel.xlabel)
    ax.set_title(panel.title, fontsize="small")
    ax.grid(True, which="major", linewidth=0.5)
    ax.grid(False, which="minor")
    return out


def legend_handles(agg, L, *, discount: bool = False):
    """Legend: one entry per truncation marker, then ES and DiCE when present, then the lines."""
    from matplotlib.lines import Line2D

    handles = style.truncation_legend_handles(agg["truncation_length"].astype(int), L)
    if (agg["estimator"] == "es").any():
        handles.append(Line2D([], [], marker="o", color=names.color("es"), linestyle="none",
                              markersize=6, label="ES (marker = truncation)"))
    if (agg["estimator"] == "dice").any():
        handles.append(Line2D([], [], marker=style.DICE_MARKER, linestyle="none", markersize=7,
                              color=style.truncated_cmap(style.COEFFICIENT_CMAP)(0.0),
                              label="DiCE (no truncation, c = 0)"))
    handles.append(Line2D([], [], color=LINE_COLOR, linewidth=0.8, label="c sweep"))
    if discount:
        handles.append(Line2D([], [], color=LINE_COLOR, linewidth=0.8, linestyle="--",
                              label=r"$\gamma_m$ sweep (c = 1)"))
    return handles


def frontier_figure(tables: dict, section: dict, panels: tuple[Panel, ...], *, figure_no: int,
                    discount: bool = False, title: str = "Bias-variance frontier"):
    """Figures 4, 5, 8: one panel per entry of ``panels`` sharing the variance axis, a colorbar
    per palette, one legend. Returns ``(fig, agg, L, info)``; ``info``: ``collapsed``
    truncations and ``off_scale`` points per panel title."""
    import matplotlib.pyplot as plt

    agg = inputs.pick_table(tables, FRONTIER_TABLE, f"figure {figure_no}")
    if "pairing_group" in agg:   # one point per setting: its raw row (variance axis)
        agg = agg[~agg["pairing_group"].isin(["mg_rb", "mg_paired", "es_rb"])]
    style.set_style()
    L = lifetime_length(agg, section)
    wide = len(panels) > 1
    fig, axes = plt.subplots(1, len(panels), figsize=(style.TEXT_WIDTH if wide else style.COLUMN_WIDTH + 1.6,
                                                      3.7 if wide else 4.0),
                             sharey=True, layout="constrained", squeeze=False)
    axes = list(axes[0])
    points, lines, collapsed = layout(agg, L, discount=discount)
    info = {"collapsed": collapsed, "off_scale": {}}
    for ax, panel in zip(axes, panels):
        info["off_scale"][panel.title] = draw_panel(ax, agg, points, lines, panel)
        if panel.interval == "ci" and panel.limits[0] is None:
            ax.axvline(0.0, color="0.4", linewidth=0.8, linestyle=":", zorder=0)
    axes[0].set_ylabel("variance (log scale)")
    bar = {"pad": 0.01, "shrink": 0.95, "aspect": 25}
    style.unit_colorbar(fig, axes, style.COEFFICIENT_CMAP, "sampling correction coefficient c",
                        ticks=sorted(set(agg["coefficient"].dropna().astype(float))), **bar)
    if discount:
        style.unit_colorbar(fig, axes, style.DISCOUNT_CMAP, r"meta-discount $\gamma_m$ (c = 1)",
                            ticks=sorted(set(agg["meta_discount"].dropna().astype(float))), **bar)
    handles = legend_handles(agg, L, discount=discount)
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 4 if wide else 2),
               fontsize="small", handletextpad=0.3, columnspacing=1.0)
    fig.suptitle(f"{title}, L = {L}", fontsize="medium")
    return fig, agg, L, info
