"""Figure 5: the bias-variance frontier of figure 4 with x = negative mean cosine similarity.

Input tables as figure 4 (``frontier_aggregate``, ``frontier_points``). x = -(grid mean of
cos(estimator mean, FD reference)) with the paper's grid-bootstrap error bar, y = variance (log);
same encodings as figure 4 (:func:`metagrad.figures.style.plot_frontier`).
"""

from __future__ import annotations

from metagrad.figures import style

PAPER_SIZES = (" Paper: 5 x 5 grid over [0.5, 2.5]^2, 4,000 bandits x 200 iterations per point, "
               "FD reference 32,000 x 200 x 5 seeds, epsilon = 0.01.")


def draw(tables: dict, cfg: dict, section: dict):
    fig, agg, L, info = style.frontier_figure(tables, cfg, section, figure_no=5, metric="cosine",
                                              corrected_panel=False,
                                              title="Cosine-variance frontier")
    ci = ""
    if {"cosine_ci_low", "cosine_ci_high"} <= set(agg.columns):
        w = (agg["cosine_ci_high"] - agg["cosine_ci_low"]).median()
        ci = (f" The 95 % batch-bootstrap interval of the grid-mean cosine (in the frontier table) has "
              f"median width {w:.2f} at this profile's sample sizes.")
    caption = style.frontier_caption(
        agg, cfg, section, L, info, figure_no=5, corrected_panel=False,
        x_text=("x = negative cosine similarity between the estimator's mean and the FD reference, "
                "averaged over the eta grid (as the paper plots it: -1 = same direction, 0 = "
                "orthogonal); error bar: std of grid means over 10,000 resamples of grid points."),
        extra=ci + PAPER_SIZES)
    # the cosine panel does not show bias: drop the bias definition sentence
    caption = caption.replace(style.FRONTIER_BIAS_DEF, "")
    return fig, caption
