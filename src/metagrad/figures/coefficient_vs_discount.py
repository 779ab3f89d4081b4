"""Figure 8: sampling-correction coefficient versus meta-discount (bandit, L = 30).

Input tables ``frontier_aggregate`` and ``frontier_points`` of the ``frontier_L30`` experiment.
Coefficient-mode points (meta_discount = 1; viridis by c) and meta-discount-mode points
(coefficient = 1, meta_discount < 1; the second palette by gamma_m; gamma_m = 1 is the c = 1
point, gamma_m = 0 is naive), marker by truncation length as in the paper (1 = star, 8 = circle,
22 = diamond, 29 = no truncation = down-triangle); x = bias x 1e4 from 0, y = variance (log). A
second panel shows the noise-corrected bias with its 95 % batch-bootstrap interval, as in
figure 4. Drawing: :mod:`metagrad.figures.frontier_plot`.
"""

from __future__ import annotations

from metagrad.figures import captions, frontier_plot

PAPER_SIZES = " Paper: 5 x 5 grid over [1, 4]^2, 1,000-2,000 bandits x 1,000 iterations per point."


def draw(tables: dict, cfg: dict, section: dict):
    panels = (frontier_plot.RAW_BIAS, *frontier_plot.second_panel(
        tables, frontier_plot.DECISIVE_BIAS, frontier_plot.CORRECTED_BIAS))
    fig, agg, L, info = frontier_plot.frontier_figure(tables, section, panels, figure_no=8, discount=True,
                                                      title="Coefficient versus meta-discount")
    caption = captions.frontier_caption(
        agg, cfg, section, L, info, figure_no=8, corrected_panel=True, discount=True,
        x_text="Left: x = bias x 1e4 (grid mean over the eta grid, the paper's number; axis from 0).",
        extra=frontier_plot.decisive_sentence(panels) + PAPER_SIZES)
    return fig, caption
