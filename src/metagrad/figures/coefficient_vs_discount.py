"""Figure 8: sampling-correction coefficient versus meta-discount (bandit, L = 30).

Input tables ``frontier_aggregate`` and ``frontier_points`` of the ``frontier_L30`` experiment.
Coefficient-mode points (meta_discount = 1; viridis by c) and meta-discount-mode points
(coefficient = 1, meta_discount < 1; the second palette by gamma_m; gamma_m = 1 is the c = 1
point, gamma_m = 0 is naive), marker by truncation length {1, 8, 22, 29 = no truncation};
x = bias x 1e4, y = variance (log). A second panel shows the noise-corrected bias with its 95 %
batch-bootstrap interval, as in figure 4.
"""

from __future__ import annotations

from metagrad.figures import style

PAPER_SIZES = (" Paper: 5 x 5 grid over [1, 4]^2, 1,000-2,000 bandits x 1,000 iterations per point.")


def draw(tables: dict, cfg: dict, section: dict):
    fig, agg, L, info = style.frontier_figure(tables, cfg, section, figure_no=8, metric="bias_raw",
                                              corrected_panel=True, discount=True,
                                              title="Coefficient versus meta-discount")
    caption = style.frontier_caption(
        agg, cfg, section, L, info, figure_no=8, corrected_panel=True, discount=True,
        x_text="Left: x = bias x 1e4 (grid mean over the eta grid, the paper's number).",
        extra=PAPER_SIZES)
    return fig, caption
