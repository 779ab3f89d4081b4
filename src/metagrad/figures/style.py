"""Shared figure style: paper-sized figures, one colour language across all figures.

- correction coefficient c      -> viridis (dark = 0, bright = 1)
- meta-discount gamma_m         -> a second, distinct sequential palette ("rocket")
- truncation length (T - 1)     -> one marker per length (shortest = circle, ... , none = star)
- named estimators (FD, ES, DiCE, naive, ...) -> fixed colours from ESTIMATOR_COLORS
- landscapes (J over eta)       -> LANDSCAPE_CMAP
"""

from __future__ import annotations

from typing import Iterable, Sequence

# Widths in inches for a two-column paper: one column, full text width.
COLUMN_WIDTH = 3.4
TEXT_WIDTH = 7.0
FIGSIZE_SINGLE = (COLUMN_WIDTH, 2.8)
FIGSIZE_WIDE = (TEXT_WIDTH, 2.8)
FIGSIZE_SQUARE = (COLUMN_WIDTH, COLUMN_WIDTH)

COEFFICIENT_CMAP = "viridis"
DISCOUNT_CMAP = "rocket"
LANDSCAPE_CMAP = "mako"
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "h")
NO_TRUNCATION_MARKER = "*"

ESTIMATOR_COLORS = {
    "FD": "#000000",
    "ES": "#d62728",
    "PES": "#ff7f0e",
    "DiCE": "#8c564b",
    "DiCE + sampling correction": "#e377c2",
    "naive": "#7f7f7f",
    "sampling correction": "#1f77b4",
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
    })


def _colors(cmap_name: str, values: Sequence[float], lo: float = 0.0, hi: float = 1.0) -> dict:
    import matplotlib as mpl
    import seaborn as sns

    try:
        cmap = mpl.colormaps[cmap_name]
    except KeyError:
        cmap = sns.color_palette(cmap_name, as_cmap=True)
    span = (hi - lo) or 1.0
    # keep away from the very light end so points stay visible on white
    return {v: cmap(0.05 + 0.85 * (float(v) - lo) / span) for v in values}


def coefficient_colors(values: Iterable[float]) -> dict:
    """Colour per correction coefficient c in [0, 1] (viridis)."""
    return _colors(COEFFICIENT_CMAP, sorted(set(values)), 0.0, 1.0)


def discount_colors(values: Iterable[float]) -> dict:
    """Colour per meta-discount gamma_m in [0, 1] (a palette distinct from viridis)."""
    return _colors(DISCOUNT_CMAP, sorted(set(values)), 0.0, 1.0)


def truncation_markers(lengths: Iterable[int], lifetime_length: int | None = None) -> dict:
    """Marker per truncation length (T - 1); ``lifetime_length - 1`` ("no truncation") gets a star."""
    out, i = {}, 0
    for length in sorted(set(int(x) for x in lengths)):
        if lifetime_length is not None and length >= lifetime_length - 1:
            out[length] = NO_TRUNCATION_MARKER
        else:
            out[length] = MARKERS[i % len(MARKERS)]
            i += 1
    return out


def truncation_label(length: int, lifetime_length: int | None = None) -> str:
    if lifetime_length is not None and int(length) >= lifetime_length - 1:
        return f"{int(length)} (no truncation)"
    return str(int(length))
