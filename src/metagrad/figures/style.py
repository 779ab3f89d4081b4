"""House style of every figure: theme, sizes, palettes and the paper's encodings.

Encodings (as in the paper's figures, /work/shared/reference/):

- estimator (FD, naive, sampling correction, DiCE, ...) -> label and colour from
  :mod:`metagrad.names` (never from a dictionary of a figure module);
- sampling-correction coefficient c -> viridis, dark = 0, bright = 1;
- meta-discount gamma_m -> a second sequential palette ("rocket");
- truncation length (T - 1) -> marker: 1 = star, "no truncation" (L - 1) = down-triangle, the
  windows in between as in the paper (L = 80: 20 = circle, 40 = square; L = 30: 8 = circle,
  22 = diamond), any other window the next unused marker;
- DiCE in a frontier -> a cross;
- landscapes J(eta) -> viridis.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

# Widths in inches for a two-column paper: one column, full text width.
COLUMN_WIDTH = 3.4
TEXT_WIDTH = 7.0

COEFFICIENT_CMAP = "viridis"
DISCOUNT_CMAP = "rocket"
LANDSCAPE_CMAP = "viridis"

SHORTEST_TRUNCATION_MARKER = "*"
NO_TRUNCATION_MARKER = "v"
# (lifetime length L, truncation length) -> marker of the paper's figures 4/5 (L = 80) and 8 (L = 30)
PAPER_TRUNCATION_MARKERS = {(80, 20): "o", (80, 40): "s", (30, 8): "o", (30, 22): "D"}
OTHER_MARKERS = ("o", "s", "D", "^", "P", "h", "<", ">")
DICE_MARKER = "X"
MARKER_SIZES = {"*": 11.0, "X": 8.5, "D": 6.0}  # points; other markers: DEFAULT_MARKER_SIZE
DEFAULT_MARKER_SIZE = 7.0
MARKER_NAMES = {"*": "star", "o": "circle", "s": "square", "D": "diamond", "^": "up-triangle",
                "v": "down-triangle", "P": "plus", "X": "cross", "h": "hexagon", "<": "left-triangle",
                ">": "right-triangle"}


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


# ----------------------------------------------------------------------------------------------
# palettes

def get_cmap(name: str):
    import matplotlib as mpl
    import seaborn as sns

    try:
        return mpl.colormaps[name]
    except KeyError:
        return sns.color_palette(name, as_cmap=True)


def cmap_range(name: str) -> tuple[float, float]:
    """The used part of a sequential colormap: its very light end is hard to see on white
    (rocket's is nearly white, so it stops earlier)."""
    return (0.0, 0.85) if name == DISCOUNT_CMAP else (0.0, 0.92)


def truncated_cmap(name: str):
    """The used part of a sequential colormap, as a colormap (points and colorbars agree)."""
    from matplotlib.colors import ListedColormap

    lo, hi = cmap_range(name)
    return ListedColormap(get_cmap(name)(np.linspace(lo, hi, 256)), name=f"{name}_used")


def _colors(name: str, values: Iterable[float]) -> dict:
    cmap = truncated_cmap(name)
    return {v: cmap(float(np.clip(v, 0.0, 1.0))) for v in sorted(set(float(x) for x in values))}


def coefficient_colors(values: Iterable[float]) -> dict:
    """Colour per correction coefficient c in [0, 1] (viridis)."""
    return _colors(COEFFICIENT_CMAP, values)


def discount_colors(values: Iterable[float]) -> dict:
    """Colour per meta-discount gamma_m in [0, 1] (a palette distinct from viridis)."""
    return _colors(DISCOUNT_CMAP, values)


def thin_ticks(values, min_gap: float = 0.08) -> list[float]:
    """Sorted unique tick values, dropping those closer than ``min_gap`` to a kept neighbour
    (the largest value is always kept)."""
    vals = sorted(set(float(v) for v in values))
    kept = vals[-1:]
    for v in reversed(vals[:-1]):
        if kept[-1] - v >= min_gap:
            kept.append(v)
    return sorted(kept)


def unit_colorbar(fig, axes, cmap_name: str, label: str, ticks=None, **kwargs):
    """Colorbar of a [0, 1] parameter (c or gamma_m) in its palette, ticks at its values."""
    import matplotlib as mpl

    sm = mpl.cm.ScalarMappable(norm=mpl.colors.Normalize(0.0, 1.0), cmap=truncated_cmap(cmap_name))
    cb = fig.colorbar(sm, ax=axes, **kwargs)
    cb.set_label(label)
    if ticks:
        cb.set_ticks(thin_ticks(ticks))
    return cb


# ----------------------------------------------------------------------------------------------
# truncation encoding

def is_no_truncation(length: int, lifetime_length: int | None) -> bool:
    return lifetime_length is not None and int(length) >= int(lifetime_length) - 1


def truncation_markers(lengths: Iterable[int], lifetime_length: int | None = None) -> dict:
    """Marker per truncation length (T - 1), in the paper's encoding (module docstring)."""
    lengths = sorted(set(int(x) for x in lengths))
    out = {}
    for t in lengths:
        if is_no_truncation(t, lifetime_length):
            out[t] = NO_TRUNCATION_MARKER
        elif t <= 1:
            out[t] = SHORTEST_TRUNCATION_MARKER
        elif lifetime_length is not None and (int(lifetime_length), t) in PAPER_TRUNCATION_MARKERS:
            out[t] = PAPER_TRUNCATION_MARKERS[(int(lifetime_length), t)]
    spare = iter(m for m in OTHER_MARKERS if m not in out.values())
    for t in lengths:
        if t not in out:
            out[t] = next(spare)
    return out


def marker_size(marker: str) -> float:
    return MARKER_SIZES.get(marker, DEFAULT_MARKER_SIZE)


def truncation_label(length: int, lifetime_length: int | None = None) -> str:
    """Legend / panel label: "truncation 8", or "no truncation" for the whole lifetime."""
    if is_no_truncation(length, lifetime_length):
        return "no truncation"
    return f"truncation {int(length)}"


def truncation_legend_handles(lengths: Iterable[int], lifetime_length: int | None, color: str = "0.15"):
    from matplotlib.lines import Line2D

    markers = truncation_markers(lengths, lifetime_length)
    return [Line2D([], [], marker=m, color=color, linestyle="none", markersize=marker_size(m) * 0.9,
                   label=truncation_label(t, lifetime_length)) for t, m in markers.items()]


# ----------------------------------------------------------------------------------------------
# lines

def mean_band(ax, summary, color, *, label=None, linewidth: float = 1.2, alpha: float = 0.25):
    """A mean line with a +- 1 s.e. band from a :func:`metagrad.figures.inputs.mean_se_over`
    summary (columns ``update``, ``mean``, ``se``)."""
    ax.plot(summary["update"], summary["mean"], color=color, label=label, linewidth=linewidth)
    ax.fill_between(summary["update"], summary["mean"] - summary["se"], summary["mean"] + summary["se"],
                    color=color, alpha=alpha, linewidth=0)


def sci_updates_axis(ax, label: str | None = "meta-gradient updates",
                     paper_factor: float | None = None, top_label: bool = True) -> None:
    """x axis counting meta-updates, in scientific notation when large; with ``paper_factor``
    (the profile's learning-rate multiple of the paper's), a top axis gives the paper's
    equivalent update (same learning rate x updates, so the same distance in eta).
    ``top_label=False`` leaves that axis unlabelled (narrow panels: say it once per figure,
    :func:`paper_axis_note`), since a label wider than its panel squeezes the layout."""
    ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4), useMathText=True)
    if label:
        ax.set_xlabel(label)
    if paper_factor and paper_factor != 1:
        top = ax.secondary_xaxis("top", functions=(lambda u: u * paper_factor,
                                                   lambda u: u / paper_factor))
        top.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4), useMathText=True)
        if top_label:
            top.set_xlabel(f"paper-equivalent updates (x {paper_factor:g})", fontsize="small")
        top.tick_params(labelsize="small")


def paper_axis_note(paper_factor: float | None) -> str:
    """Figure-level words for unlabelled top axes of :func:`sci_updates_axis`."""
    if not paper_factor or paper_factor == 1:
        return ""
    return f" (top axes: paper-equivalent updates, x {paper_factor:g})"


def grid_extent(values: Sequence[float]) -> tuple[float, float]:
    """Edges of grid cells centred on sorted ``values`` (half a step beyond the outer points)."""
    v = np.asarray(values, float)
    half = float(np.min(np.diff(v))) / 2 if len(v) > 1 else 0.5
    return float(v.min() - half), float(v.max() + half)
