"""Brax cosine-variance frontier (ours, beyond the paper; spec section 7): the frontier of
:mod:`metagrad.figures.brax_frontier` with x = negative mean cosine similarity to FD."""

from __future__ import annotations

from metagrad.figures import captions, frontier_plot
from metagrad.figures.brax_frontier import task_text
from metagrad.figures.frontier_cosine import X_TEXT


def draw(tables: dict, cfg: dict, section: dict):
    panels = (frontier_plot.NEG_COSINE,
              *frontier_plot.second_panel(tables, frontier_plot.POOLED_COSINE, None))
    fig, agg, L, info = frontier_plot.frontier_figure(
        tables, section, panels, figure_no=5, title="Brax (ours): cosine-variance frontier")
    caption = captions.frontier_caption(agg, cfg, section, L, info, figure_no=5, x_text=X_TEXT,
                                        corrected_panel=False, define_bias=False,
                                        task_text=task_text(cfg, section),
                                        extra=frontier_plot.decisive_sentence(panels))
    return fig, caption.replace("Figure 5 (", "Brax cosine frontier (", 1)
