"""Figure 5: the bias-variance frontier of figure 4 with x = negative mean cosine similarity.

Input tables as figure 4 (``frontier_aggregate``, ``frontier_points``). x = -(grid mean of
cos(estimator mean, FD reference)) on [-1, 0] with the paper's grid-bootstrap error bar (a point
with negative mean cosine is drawn at the edge with its value), y = variance (log); same
encodings as figure 4 (:mod:`metagrad.figures.frontier_plot`).
"""

from __future__ import annotations

from metagrad.figures import captions, frontier_plot

PAPER_SIZES = (" Paper: 5 x 5 grid over [0.5, 2.5]^2, 4,000 bandits x 200 iterations per point, "
               "FD reference 32,000 x 200 x 5 seeds, epsilon = 0.01.")
X_TEXT = ("x = negative cosine similarity between the estimator's mean and the FD reference, averaged "
          "over the eta grid, from -1 (same direction) to 0 (orthogonal), as the paper plots it; error "
          "bar: std of grid means over 10,000 resamples of grid points.")


def draw(tables: dict, cfg: dict, section: dict):
    panels = (frontier_plot.NEG_COSINE,
              *frontier_plot.second_panel(tables, frontier_plot.POOLED_COSINE, None))
    fig, agg, L, info = frontier_plot.frontier_figure(tables, section, panels,
                                                      figure_no=5, title="Cosine-variance frontier")
    ci = ""
    if {"cosine_ci_low", "cosine_ci_high"} <= set(agg.columns):
        w = (agg["cosine_ci_high"] - agg["cosine_ci_low"]).median()
        ci = (f" The 95 % batch-bootstrap interval of the grid-mean cosine (in the frontier table) has "
              f"median width {w:.2f} at this profile's sample sizes.")
    caption = captions.frontier_caption(agg, cfg, section, L, info, figure_no=5, x_text=X_TEXT,
                                        corrected_panel=False, define_bias=False,
                                        extra=ci + frontier_plot.decisive_sentence(panels, section)
                                        + PAPER_SIZES)
    return fig, caption
