"""Shared figure style: paper-sized figures, one colour language across all figures.

Encodings follow the paper's figures (../shared/reference/):

- correction coefficient c      -> viridis (dark = 0, bright = 1)
- meta-discount gamma_m         -> a second, distinct sequential palette ("rocket")
- truncation length (T - 1)     -> one marker per length: shortest (1) = star, then circle,
                                   square, ...; "no truncation" (L - 1) = downward triangle
- named estimators (FD, ES, DiCE, naive, ...) -> fixed colours from ESTIMATOR_COLORS (the
  paper's learning-curve colours: tab10 order FD, naive, correction, DiCE, DiCE + correction)
- landscapes (J over eta)       -> LANDSCAPE_CMAP (viridis, as the paper's trajectory figure)

Also holds the helpers shared by several figure modules (frontier scatter, captions, mean and
s.e. over seeds), so that every figure rule depends on them through ``figures/style.py``.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

# Widths in inches for a two-column paper: one column, full text width.
COLUMN_WIDTH = 3.4
TEXT_WIDTH = 7.0
FIGSIZE_SINGLE = (COLUMN_WIDTH, 2.8)
FIGSIZE_WIDE = (TEXT_WIDTH, 2.8)
FIGSIZE_SQUARE = (COLUMN_WIDTH, COLUMN_WIDTH)

COEFFICIENT_CMAP = "viridis"
DISCOUNT_CMAP = "rocket"
LANDSCAPE_CMAP = "viridis"
# part of each sequential colormap that is used (keeps the very light end visible on white)
CMAP_RANGE = (0.0, 0.92)
MARKERS = ("o", "s", "D", "^", "P", "X", "h", "<")
SHORTEST_TRUNCATION_MARKER = "*"
NO_TRUNCATION_MARKER = "v"
DICE_MARKER = "X"
MARKER_SIZES = {"*": 11.0, "X": 8.5}  # plot markersize (points); others use DEFAULT_MARKER_SIZE
DEFAULT_MARKER_SIZE = 7.0
MARKER_NAMES = {"*": "star", "o": "circle", "s": "square", "D": "diamond", "^": "up-triangle",
                "v": "down-triangle", "P": "plus", "X": "cross", "h": "hexagon", "<": "left-triangle"}

ESTIMATOR_COLORS = {
    "FD": "#1f77b4",
    "naive": "#ff7f0e",
    "sampling correction": "#2ca02c",
    "DiCE": "#d62728",
    "DiCE + sampling correction": "#9467bd",
    "ES": "#0033ff",
    "PES": "#ff7f0e",
}

# estimator codes used in the tables -> the paper's labels
ESTIMATOR_LABELS = {
    "fd": "Finite differences",
    "naive": "Naive",
    "correction": "Sampling correction",
    "mg": "Meta-gradient",
    "dice": "DiCE",
    "dice_correction": "DiCE + sampling correction",
    "es": "ES",
    "pes": "PES",
}
ESTIMATOR_CODE_COLORS = {
    "fd": ESTIMATOR_COLORS["FD"],
    "naive": ESTIMATOR_COLORS["naive"],
    "correction": ESTIMATOR_COLORS["sampling correction"],
    "dice": ESTIMATOR_COLORS["DiCE"],
    "dice_correction": ESTIMATOR_COLORS["DiCE + sampling correction"],
    "es": ESTIMATOR_COLORS["ES"],
    "pes": ESTIMATOR_COLORS["PES"],
}


def set_style(context: str = "paper", font_scale: float = 1.0) -> None:
    """Seaborn theme used by every figure (call at the start of ``draw``)."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(context=context, style="whitegrid", font_scale=font_scale)
    mpl.rcParams.update({
        "figure.dpi": 100,
        "savefig.dpi": 200,
        "pdf.fonttype": 42,  # embed TrueType: editable text in the PDF
        "ps.fonttype": 42,
        "axes.titlesize": "medium",
        "legend.frameon": False,
        "svg.hashsalt": "metagrad",  # deterministic ids
    })


def get_cmap(name: str):
    import matplotlib as mpl
    import seaborn as sns

    try:
        return mpl.colormaps[name]
    except KeyError:
        return sns.color_palette(name, as_cmap=True)


def truncated_cmap(name: str, lo: float = CMAP_RANGE[0], hi: float = CMAP_RANGE[1]):
    """The used part of a sequential colormap, as a colormap (points and colorbars agree)."""
    from matplotlib.colors import ListedColormap

    cmap = get_cmap(name)
    return ListedColormap(cmap(np.linspace(lo, hi, 256)), name=f"{name}_trunc")


def cmap_range(cmap_name: str) -> tuple[float, float]:
    # rocket's light end is nearly white: stop earlier than for viridis
    return (0.0, 0.85) if cmap_name == DISCOUNT_CMAP else CMAP_RANGE


def _colors(cmap_name: str, values: Sequence[float], lo: float = 0.0, hi: float = 1.0) -> dict:
    cmap = truncated_cmap(cmap_name, *cmap_range(cmap_name))
    span = (hi - lo) or 1.0
    return {v: cmap(float(np.clip((float(v) - lo) / span, 0.0, 1.0))) for v in values}


def coefficient_colors(values: Iterable[float]) -> dict:
    """Colour per correction coefficient c in [0, 1] (viridis)."""
    return _colors(COEFFICIENT_CMAP, sorted(set(float(v) for v in values)), 0.0, 1.0)


def discount_colors(values: Iterable[float]) -> dict:
    """Colour per meta-discount gamma_m in [0, 1] (a palette distinct from viridis)."""
    return _colors(DISCOUNT_CMAP, sorted(set(float(v) for v in values)), 0.0, 1.0)


def is_no_truncation(length: int, lifetime_length: int | None) -> bool:
    return lifetime_length is not None and int(length) >= int(lifetime_length) - 1


def truncation_markers(lengths: Iterable[int], lifetime_length: int | None = None) -> dict:
    """Marker per truncation length (T - 1), as in the paper: 1 = star, then circle, square, ...;
    ``lifetime_length - 1`` ("no truncation") = downward triangle."""
    out, i = {}, 0
    for length in sorted(set(int(x) for x in lengths)):
        if is_no_truncation(length, lifetime_length):
            out[length] = NO_TRUNCATION_MARKER
        elif length <= 1:
            out[length] = SHORTEST_TRUNCATION_MARKER
        else:
            out[length] = MARKERS[i % len(MARKERS)]
            i += 1
    return out


def marker_size(marker: str) -> float:
    return MARKER_SIZES.get(marker, DEFAULT_MARKER_SIZE)


def truncation_label(length: int, lifetime_length: int | None = None) -> str:
    """Legend / panel label: "truncation 8", or "no truncation" for the whole lifetime."""
    if is_no_truncation(length, lifetime_length):
        return "no truncation"
    return f"truncation {int(length)}"


def fmt_int(x) -> str:
    """1000 -> '1,000'; floats that are whole numbers print without decimals."""
    try:
        xf = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not np.isfinite(xf):
        return str(x)
    if xf == int(xf):
        return f"{int(xf):,}"
    return f"{xf:,.3g}"


def scaling_note(section: dict) -> str:
    note = (section or {}).get("scaling_note")
    return f" Scaling: {str(note).strip()}" if note else ""


def mean_se_over(df, by: Sequence[str], value: str = "mean_reward", over: str = "seed"):
    """Mean and standard error of ``value`` over ``over`` (e.g. seeds) for each group in ``by``
    (NaN values, i.e. diverged runs, are left out; ``n`` counts the finite ones)."""
    import pandas as pd

    def agg(g):
        v = g[value].to_numpy(float)
        v = v[np.isfinite(v)]
        n = len(v)
        return pd.Series({"mean": v.mean() if n else np.nan,
                          "se": v.std(ddof=1) / np.sqrt(n) if n > 1 else 0.0,
                          "n": n})

    cols = list(by)
    out = (df.groupby(cols, sort=True)[[value]].apply(agg).reset_index())
    return out


def diverged_runs(df, run_cols: Sequence[str], value: str = "mean_reward") -> list[tuple]:
    """Runs (unique combinations of ``run_cols``) with at least one non-finite ``value``."""
    bad = df[~np.isfinite(df[value].to_numpy(float))]
    if bad.empty:
        return []
    return sorted({tuple(r) for r in bad[list(run_cols)].itertuples(index=False, name=None)})


def pick_table(tables: dict, name: str, figure: str):
    if name in tables:
        return tables[name]
    if len(tables) == 1:
        return next(iter(tables.values()))
    raise KeyError(f"figure {figure!r} needs a table named {name!r}; got {sorted(tables)}")


def training_sizes(section: dict, df=None) -> str:
    """Sample sizes of a meta-training experiment (figures 2, 3, 6, 7) as a caption sentence."""
    s = section or {}
    parts = []
    updates = s.get("num_updates")
    if updates is None and df is not None and "update" in df:
        updates = int(df["update"].max())
    if updates is not None:
        parts.append(f"{fmt_int(updates)} meta-updates")
    bpu = s.get("bandits_per_update")
    if bpu is None and df is not None and "bandits_per_update" in df:
        bpu = int(df["bandits_per_update"].iloc[0])
    if bpu is not None:
        parts.append(f"{fmt_int(bpu)} bandits (lifetimes) per meta-update")
    ev = s.get("eval_bandits")
    if ev is None and df is not None and "eval_bandits" in df:
        ev = int(df["eval_bandits"].iloc[0])
    if ev is not None:
        every = s.get("eval_every")
        parts.append(f"J(eta) evaluated on {fmt_int(ev)} bandits"
                     + (f" every {fmt_int(every)} updates" if every else ""))
    seeds = s.get("num_seeds")
    if seeds is None and df is not None and "seed" in df:
        seeds = df["seed"].nunique()
    if seeds is not None:
        parts.append(f"{fmt_int(seeds)} seed{'s' if int(seeds) != 1 else ''}")
    if s.get("fd_epsilon") is not None:
        parts.append(f"FD epsilon = {s['fd_epsilon']:g}")
    return "; ".join(parts)


# ----------------------------------------------------------------------------------------------
# Frontier figures (4, 5, 8): one scatter language for all three.

def frontier_label_lifetime(df, section: dict) -> int | None:
    L = (section or {}).get("lifetime_length")
    if L is None and "lifetime_length" in df:
        L = int(df["lifetime_length"].iloc[0])
    return int(L) if L is not None else None


def errorbar_point(ax, x, y, xerr, color, marker, *, zorder=3, label=None, capsize=2.0,
                   markeredgecolor="none", markeredgewidth=0.0):
    """One frontier point with horizontal error bar (``xerr``: scalar or (2, 1) array)."""
    if xerr is not None:
        xerr = np.asarray(xerr, dtype=float)
        if not np.all(np.isfinite(xerr)):
            xerr = None
    ax.errorbar([x], [y], xerr=xerr, fmt=marker, color=color, ecolor=color,
                markersize=marker_size(marker), markeredgecolor=markeredgecolor,
                markeredgewidth=markeredgewidth,
                elinewidth=0.9, capsize=capsize, zorder=zorder, label=label, linestyle="none")


def coefficient_colorbar(fig, axes, label: str = "sampling correction coefficient c",
                         cmap_name: str = COEFFICIENT_CMAP, ticks=None, **kwargs):
    import matplotlib as mpl

    sm = mpl.cm.ScalarMappable(norm=mpl.colors.Normalize(0.0, 1.0),
                               cmap=truncated_cmap(cmap_name, *cmap_range(cmap_name)))
    sm.set_array([])
    cb = fig.colorbar(sm, ax=axes, **kwargs)
    cb.set_label(label)
    if ticks is not None:
        cb.set_ticks(thin_ticks(ticks))
    return cb


def thin_ticks(values, min_gap: float = 0.08) -> list[float]:
    """Sorted unique tick values, dropping those closer than ``min_gap`` to a kept neighbour
    (the largest value is always kept)."""
    vals = sorted(set(float(v) for v in values))
    if not vals:
        return []
    kept = [vals[-1]]
    for v in reversed(vals[:-1]):
        if kept[-1] - v >= min_gap:
            kept.append(v)
    return sorted(kept)


def truncation_legend_handles(lengths: Iterable[int], lifetime_length: int | None,
                              color: str = "0.15"):
    from matplotlib.lines import Line2D

    markers = truncation_markers(lengths, lifetime_length)
    return [Line2D([], [], marker=m, color=color, linestyle="none", markersize=marker_size(m) * 0.9,
                   label=truncation_label(k, lifetime_length)) for k, m in markers.items()]


def frontier_x(agg, metric: str, scale: float = 1.0, negate: bool = False, interval: str = "grid"):
    """x values and horizontal error bars of a frontier metric for every row of ``agg``.

    ``interval='grid'``: the paper's error bar (``{m}_grid_err``, symmetric);
    ``interval='ci'``: the 95 % batch-bootstrap interval (``{m}_ci_low``, ``{m}_ci_high``)."""
    sign = -1.0 if negate else 1.0
    x = sign * scale * agg[metric].to_numpy(float)
    if interval == "grid":
        col = f"{metric}_grid_err"
        e = scale * agg[col].to_numpy(float) if col in agg else np.full(len(agg), np.nan)
        err = np.vstack([e, e])
    else:
        lo = sign * scale * agg[f"{metric}_ci_low"].to_numpy(float)
        hi = sign * scale * agg[f"{metric}_ci_high"].to_numpy(float)
        lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
        err = np.vstack([np.clip(x - lo, 0, None), np.clip(hi - x, 0, None)])
    return x, err


def sweep_line(ax, xs, ys, *, linestyle="-", color="0.2", linewidth=0.8, zorder=1):
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)  # drawn in the given (sweep) order
    ok = np.isfinite(xs) & np.isfinite(ys)
    if ok.sum() >= 2:
        ax.plot(xs[ok], ys[ok], linestyle=linestyle, color=color, linewidth=linewidth, zorder=zorder)


def frontier_sizes(section: dict, agg=None) -> str:
    """Sample sizes of a frontier experiment as a caption sentence."""
    s = section or {}
    parts = []
    gs = s.get("grid_size")
    if gs is not None:
        parts.append(f"eta grid {gs} x {gs} over [{s.get('grid_low', '?'):g}, {s.get('grid_high', '?'):g}]^2"
                     if isinstance(s.get("grid_low"), (int, float)) else f"eta grid {gs} x {gs}")
    elif agg is not None and "num_points" in agg:
        parts.append(f"{int(agg['num_points'].max())} eta grid points")
    lps = s.get("lifetimes_per_sample")
    per_sample = f"; each sample averages {lps} lifetime{'s' if lps != 1 else ''} on one bandit" if lps else ""
    spb = s.get("samples_per_batch")
    if spb is not None and s.get("mg_batches") is not None:
        paired = ""
        if agg is not None and "pairing_group" in agg:
            groups = agg.loc[agg["estimator"].isin(["mg", "naive", "dice"]), "pairing_group"].dropna().unique()
            if len(groups) == 1:
                paired = ", every MG variant" + (" and DiCE" if (agg["estimator"] == "dice").any() else "") \
                    + " evaluated on the same sampled lifetimes (paired)"
        parts.append(f"meta-gradient{'/DiCE' if s.get('include_dice') else ''}: "
                     f"{fmt_int(spb * s['mg_batches'])} samples per point "
                     f"({s['mg_batches']} batches x {spb}{per_sample}){paired}")
    if s.get("include_es") and spb is not None and s.get("es_batches") is not None:
        parts.append(f"ES: {fmt_int(spb * s['es_batches'])} samples per point "
                     f"({s['es_batches']} batches x {spb}), sigma = {s.get('es_sigma', '?')}")
    if s.get("fd_batches") is not None and s.get("fd_samples_per_batch") is not None:
        parts.append(f"FD reference: {fmt_int(s['fd_samples_per_batch'] * s['fd_batches'])} samples per point "
                     f"({s['fd_batches']} batches x {s['fd_samples_per_batch']}), "
                     f"epsilon = {s.get('fd_epsilon', '?')}")
    if agg is not None and "samples_per_point" in agg:
        spp = agg["samples_per_point"].to_numpy(float)
        parts.append("samples per point in the table: "
                     + (fmt_int(spp[0]) if np.all(spp == spp[0]) else f"{fmt_int(spp.min())}-{fmt_int(spp.max())}"))
    return "; ".join(parts)


def _mg_rows(agg):
    """Meta-gradient rows (``mg`` and ``naive``: c = 0 with gamma_m = 1, or c = 1 with
    gamma_m = 0) with c and gamma_m filled in."""
    rows = agg[agg["estimator"].isin(["mg", "naive"])].copy()
    rows["c"] = rows["coefficient"].astype(float).fillna(0.0)
    rows["gm"] = rows["meta_discount"].astype(float).fillna(1.0) if "meta_discount" in rows else 1.0
    return rows


def _collapse_identical(rows, cols) -> bool:
    """True when every row has the same values in ``cols`` (e.g. truncation 1, where c has no
    effect because the window holds no earlier step)."""
    if len(rows) <= 1:
        return False
    vals = rows[list(cols)].to_numpy(float)
    return bool(np.allclose(vals, vals[0], rtol=1e-9, atol=0.0, equal_nan=True))


def plot_frontier(ax, agg, *, metric: str, lifetime_length: int | None, scale: float = 1.0,
                  negate: bool = False, interval: str = "grid", discount: bool = False,
                  annotate: bool = True) -> dict:
    """Draw one bias-variance frontier panel (figures 4, 5, 8) on ``ax``.

    x: ``metric`` (x ``scale``, negated if ``negate``) with horizontal error bars (``interval``:
    'grid' = the paper's error bar, 'ci' = 95 % batch-bootstrap interval); y: grid-mean variance
    (log scale). MG points: colour = c (viridis), marker = truncation length, a thin line through
    each truncation's c-sweep; with ``discount``: meta-discount points (c = 1, gamma_m < 1) in the
    discount palette, dashed line through each truncation's gamma_m-sweep (ending at c = 1 =
    gamma_m = 1). ES: ESTIMATOR_COLORS['ES'], same markers. DiCE: DICE_MARKER, coloured by its c.
    Returns facts the caption may state (e.g. which truncation lengths were collapsed)."""
    L = lifetime_length
    markers = truncation_markers(agg["truncation_length"].astype(int), L)
    ccol = coefficient_colors(np.linspace(0, 1, 11).tolist()
                              + agg["coefficient"].dropna().astype(float).tolist())
    info = {"collapsed": [], "num_points": 0}
    xs, errs = frontier_x(agg, metric, scale, negate, interval)
    agg = agg.assign(fx_=xs, felo_=errs[0], fehi_=errs[1], fy_=agg["variance"].to_numpy(float))
    mg = _mg_rows(agg)
    coef_sweep = mg[np.isclose(mg["gm"], 1.0)]
    for T, rows in coef_sweep.groupby("truncation_length", sort=True):
        rows = rows.sort_values("c")
        m = markers[int(T)]
        if _collapse_identical(rows, ["fx_", "fy_"]):
            info["collapsed"].append(int(T))
            rows = rows.iloc[:1]
        sweep_line(ax, rows["fx_"], rows["fy_"])
        for r in rows.itertuples(index=False):
            errorbar_point(ax, r.fx_, r.fy_, [[r.felo_], [r.fehi_]], ccol[float(r.c)], m)
            info["num_points"] += 1
        if annotate and rows["c"].iloc[0] == 0.0 and int(T) == min(markers):
            r = rows.iloc[0]
            if np.isfinite(r["fx_"]) and np.isfinite(r["fy_"]):
                ax.annotate("naive", (r["fx_"], r["fy_"]), xytext=(4, 6), textcoords="offset points",
                            fontsize="small", color="0.15")
    if discount:
        dcol = discount_colors(mg["gm"].tolist())
        disc = mg[(mg["gm"] < 1.0) & np.isclose(mg["c"], 1.0)]
        for T, rows in disc.groupby("truncation_length", sort=True):
            m = markers[int(T)]
            end = coef_sweep[(coef_sweep["truncation_length"] == T) & np.isclose(coef_sweep["c"], 1.0)]
            both = pd_concat([rows, end]).sort_values("gm")
            if _collapse_identical(both, ["fx_", "fy_"]):
                info["collapsed"].append(int(T))
                continue
            sweep_line(ax, both["fx_"], both["fy_"], linestyle="--")
            for r in rows.sort_values("gm").itertuples(index=False):
                errorbar_point(ax, r.fx_, r.fy_, [[r.felo_], [r.fehi_]], dcol[float(r.gm)], m,
                               markeredgecolor="0.2", markeredgewidth=0.6)
                info["num_points"] += 1
    es = agg[agg["estimator"] == "es"]
    for r in es.sort_values("truncation_length").itertuples(index=False):
        errorbar_point(ax, r.fx_, r.fy_, [[r.felo_], [r.fehi_]], ESTIMATOR_COLORS["ES"],
                       markers[int(r.truncation_length)])
        info["num_points"] += 1
    dice = agg[agg["estimator"] == "dice"]
    others = agg[agg["estimator"] != "dice"]
    lo = np.nanmin(others["fx_"] - others["felo_"]) if len(others) else np.nan
    hi = np.nanmax(others["fx_"] + others["fehi_"]) if len(others) else np.nan
    span = hi - lo if np.isfinite(hi - lo) and hi > lo else np.nan
    for r in dice.itertuples(index=False):
        c = 0.0 if not np.isfinite(float(r.coefficient)) else float(r.coefficient)
        x, off_scale = r.fx_, False
        # DiCE's heavy-tailed grid mean can sit far off the other points: keep the frontier
        # readable, draw DiCE at the edge and print its value (caption: info["dice_off_scale"])
        if np.isfinite(span) and np.isfinite(x) and not lo - 2 * span <= x <= hi + 2 * span:
            off_scale = True
            x = hi + 0.15 * span if x > hi else lo - 0.15 * span
            ax.set_xlim(lo - 0.25 * span, hi + 0.25 * span) if x > hi else \
                ax.set_xlim(lo - 0.25 * span, hi + 0.1 * span)
            info["dice_off_scale"] = float(r.fx_)
            errorbar_point(ax, x, r.fy_, None, ccol.get(c, ccol[0.0]), DICE_MARKER)
        else:
            errorbar_point(ax, x, r.fy_, [[r.felo_], [r.fehi_]], ccol.get(c, ccol[0.0]),
                           DICE_MARKER)
        info["num_points"] += 1
        if annotate and np.isfinite(x) and np.isfinite(r.fy_):
            text = f"DiCE (off scale: {r.fx_:.3g})" if off_scale else "DiCE"
            ax.annotate(text, (x, r.fy_), xytext=(-5, -11), textcoords="offset points",
                        fontsize="small", color="0.15", ha="right" if off_scale else "left")
    ax.set_yscale("log")
    ax.set_ylabel("variance (log scale)")
    return info


def pd_concat(frames):
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


def frontier_legend_handles(agg, lifetime_length: int | None, discount: bool = False):
    """Legend: one entry per truncation marker, then ES and DiCE when present."""
    from matplotlib.lines import Line2D

    handles = truncation_legend_handles(agg["truncation_length"].astype(int), lifetime_length)
    if (agg["estimator"] == "es").any():
        handles.append(Line2D([], [], marker="o", color=ESTIMATOR_COLORS["ES"], linestyle="none",
                              markersize=6, label="ES (marker = truncation)"))
    if (agg["estimator"] == "dice").any():
        handles.append(Line2D([], [], marker=DICE_MARKER, color=truncated_cmap(COEFFICIENT_CMAP)(0.0),
                              linestyle="none", markersize=7, label="DiCE (no truncation, c = 0)"))
    handles.append(Line2D([], [], color="0.2", linewidth=0.8, label="c sweep"))
    if discount:
        handles.append(Line2D([], [], color="0.2", linewidth=0.8, linestyle="--", label=r"$\gamma_m$ sweep (c = 1)"))
    return handles


def noise_floor_sentence(agg, scale: float = 1e4) -> str:
    """Caption sentence: the range of the noise floor of the bias (x ``scale``)."""
    if "noise_floor" not in agg:
        return ""
    nf = agg["noise_floor"].to_numpy(float) * scale
    nf = nf[np.isfinite(nf)]
    if not nf.size:
        return ""
    return f" Noise floor (grid mean) per setting: {np.min(nf):.3g} to {np.max(nf):.3g} x 1e-4."


FRONTIER_TABLE = "frontier_aggregate"
BIAS_SCALE = 1e4
BIAS_LABEL = r"bias [$10^{-4}$] (mean sq. diff. to FD)"
CORRECTED_LABEL = r"noise-corrected bias [$10^{-4}$]"
NEG_COSINE_LABEL = "negative cosine similarity to FD"
FRONTIER_BIAS_DEF = (" Bias is the mean over the 2 coordinates of the squared difference between the "
                     "estimator's mean and the finite-difference reference (the paper's metric, which "
                     "it calls Euclidean distance), x 1e4; error bars on the paper's panel: std of grid "
                     "means over 10,000 resamples of grid points.")


def frontier_figure(tables: dict, cfg: dict, section: dict, *, figure_no: int,
                    metric: str = "bias_raw", corrected_panel: bool = True, discount: bool = False,
                    title: str = "Bias-variance frontier"):
    """Figures 4, 5, 8: the paper's panel (x = ``metric``: 'bias_raw' x 1e4 or 'cosine' negated,
    with the paper's grid error bar), plus, with ``corrected_panel``, the noise-corrected bias
    x 1e4 with its 95 % batch-bootstrap interval. Returns ``(fig, agg, L, info)``."""
    import matplotlib.pyplot as plt

    agg = pick_table(tables, FRONTIER_TABLE, f"figure {figure_no}")
    set_style()
    L = frontier_label_lifetime(agg, section)
    ncols = 2 if corrected_panel else 1
    width = TEXT_WIDTH if corrected_panel else COLUMN_WIDTH + 1.6
    height = 3.7 if corrected_panel else 4.0
    fig, axes = plt.subplots(1, ncols, figsize=(width, height), sharey=True, layout="constrained",
                             squeeze=False)
    axes = list(axes[0])
    if metric == "cosine":
        info = plot_frontier(axes[0], agg, metric="cosine", lifetime_length=L, negate=True,
                             interval="grid", discount=discount)
        axes[0].set_xlabel(NEG_COSINE_LABEL)
        axes[0].set_title("negative mean cosine (paper's metric)", fontsize="small")
    else:
        info = plot_frontier(axes[0], agg, metric=metric, lifetime_length=L, scale=BIAS_SCALE,
                             interval="grid", discount=discount)
        axes[0].set_xlabel(BIAS_LABEL)
        axes[0].set_title("raw bias (paper's metric)", fontsize="small")
    if corrected_panel:
        ax2 = axes[1]
        plot_frontier(ax2, agg, metric="bias_corrected", lifetime_length=L, scale=BIAS_SCALE,
                      interval="ci", discount=discount, annotate=False)
        ax2.set_xlabel(CORRECTED_LABEL)
        ax2.set_ylabel("")
        ax2.axvline(0.0, color="0.4", linewidth=0.8, linestyle=":", zorder=0)
        ax2.set_title("noise-corrected bias, 95 % CI", fontsize="small")
    for ax in axes:
        ax.grid(True, which="major", linewidth=0.5)
        ax.grid(False, which="minor")
    coefs = sorted(set(agg["coefficient"].dropna().astype(float)))
    coefficient_colorbar(fig, axes, ticks=coefs or None, label="sampling correction coefficient c",
                         pad=0.01, shrink=0.95, aspect=25)
    if discount:
        gms = sorted(set(agg["meta_discount"].dropna().astype(float)))
        coefficient_colorbar(fig, axes, cmap_name=DISCOUNT_CMAP, ticks=gms or None,
                             label=r"meta-discount $\gamma_m$ (c = 1)", pad=0.01, shrink=0.95, aspect=25)
    handles = frontier_legend_handles(agg, L, discount=discount)
    ncol = min(len(handles), 4 if corrected_panel else 2)
    fig.legend(handles=handles, loc="outside lower center", ncol=ncol, fontsize="small",
               handletextpad=0.3, columnspacing=1.0)
    fig.suptitle(f"{title}, L = {L}", fontsize="medium")
    return fig, agg, L, info


def frontier_caption(agg, cfg: dict, section: dict, L, info, *, figure_no: int, x_text: str,
                     corrected_panel: bool = True, discount: bool = False, extra: str = "") -> str:
    """Caption of a frontier figure: encodings, metric definitions, sample sizes, noise floor."""
    collapsed = sorted(set(info.get("collapsed", [])))
    coll = (f" At truncation {', '.join(str(t) for t in collapsed)} the correction has no effect "
            f"(the window holds no earlier step), so every c{' and gamma_m' if discount else ''} gives "
            f"the same estimate and one point (naive) is drawn." if collapsed else "")
    has_es = bool((agg["estimator"] == "es").any())
    has_dice = bool((agg["estimator"] == "dice").any())
    marks = truncation_markers(agg["truncation_length"].astype(int), L)
    enc = (f"Colour: sampling-correction coefficient c (viridis); marker: truncation window length "
           f"({', '.join(f'{MARKER_NAMES.get(m, m)} = {truncation_label(t, L)}' for t, m in marks.items())}); "
           f"thin solid lines join each truncation's c sweep.")
    if discount:
        enc += (" Meta-discount points (c = 1, gamma_m < 1; gamma_m = 1 is the c = 1 point and "
                "gamma_m = 0 is naive) use the second palette and a dashed line per truncation.")
    if has_es:
        enc += f" ES: blue, same markers (sigma = {section.get('es_sigma', '?')})."
    if has_dice:
        enc += " DiCE: cross, no truncation, c = 0."
        if "dice_off_scale" in info:
            enc += (f" DiCE's grid-mean x value ({info['dice_off_scale']:.3g}) lies far off the "
                    "other points (its heavy-tailed estimates put a few grid points far out, spec "
                    "section 4); it is drawn at the panel's edge without its error bar.")
    bias_def = FRONTIER_BIAS_DEF
    nf = ""
    if corrected_panel:
        frac = _noise_fraction(agg)
        if frac is None:
            here = ""
        elif frac >= 0.5:
            here = (f"; here the floor is a median {100 * frac:.0f} % of the raw bias, so the raw "
                    f"bias mostly measures sampling noise and only the corrected panel compares the "
                    f"estimators' true bias")
        else:
            here = f"; here the floor is a median {100 * frac:.0f} % of the raw bias"
        nf = (" Right: noise-corrected bias (raw minus the estimator's and the reference's "
              "sampling-noise terms, var/(2N)) with its 95 % batch-bootstrap interval. The raw bias "
              "contains this noise floor, which dominates it at scaled-down sample sizes (spec "
              "section 4)" + here + "." + noise_floor_sentence(agg, BIAS_SCALE))
    sizes = frontier_sizes(section, agg)
    return (
        f"Figure {figure_no} (profile '{cfg.get('profile')}'). Bias-variance frontier of meta-gradient "
        f"estimators on the bandit, lifetime L = {L}, learning-rate schedule split at step "
        f"{section.get('schedule_split_step', '?')}. {x_text} y: variance = trace of the per-sample "
        f"covariance of the estimate, grid mean, log scale. {enc}{coll}{bias_def}{nf} "
        f"Sample sizes: {sizes}; {int(agg['num_points'].max())} grid points per setting."
        f"{scaling_note(section)}{extra}"
    )


def _noise_fraction(agg, scale: float = 1.0):
    if "noise_floor" not in agg or "bias_raw" not in agg:
        return None
    nf = agg["noise_floor"].to_numpy(float)
    raw = agg["bias_raw"].to_numpy(float)
    ok = np.isfinite(nf) & np.isfinite(raw) & (raw > 0)
    return float(np.median(nf[ok] / raw[ok])) if ok.any() else None
