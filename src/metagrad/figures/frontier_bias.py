"""Figure 4: bias-variance frontier of meta-gradient estimators (bandit, L = 80).

Input tables ``frontier_aggregate`` (one row per setting: ``estimator`` in naive, correction
(legacy "mg"), dice, es; ``truncation_length``, ``coefficient``, ``meta_discount``; per metric m
in bias_raw, bias_corrected, variance, log_variance, cosine: m (grid mean), m_median,
m_grid_err, m_ci_low, m_ci_high, m_boot_se; ``num_points``, ``samples_per_point``,
``noise_floor``, ``lifetime_length``, optionally ``num_meta_params`` and ``num_probes``) and
``frontier_points`` (per grid point; not drawn).

Left panel: the paper's plot (/work/shared/reference/paper-frontier-L80.png): x = bias x 1e4 from
0 (grid mean, the paper's grid-bootstrap error bar), y = variance (log). Right panel: the
noise-corrected bias x 1e4 with its 95 % batch-bootstrap interval (spec section 4), because the
raw bias of a scaled-down profile is dominated by the sampling-noise floor. Drawing:
:mod:`metagrad.figures.frontier_plot`.
"""

from __future__ import annotations

from metagrad.figures import captions, frontier_plot

PAPER_SIZES = (" Paper: 5 x 5 grid over [0.5, 2.5]^2, 4,000 bandits x 200 iterations per point, "
               "FD reference 32,000 x 200 x 5 seeds, epsilon = 0.01.")
def draw(tables: dict, cfg: dict, section: dict):
    panels = (frontier_plot.RAW_BIAS, *frontier_plot.second_panel(
        tables, frontier_plot.DECISIVE_BIAS, frontier_plot.CORRECTED_BIAS))
    fig, agg, L, info = frontier_plot.frontier_figure(tables, section, panels, figure_no=4)
    caption = captions.frontier_caption(
        agg, cfg, section, L, info, figure_no=4, corrected_panel=True,
        x_text="Left: x = bias x 1e4 (grid mean over the eta grid, the paper's number; axis from 0).",
        extra=frontier_plot.decisive_sentence(panels, section) + PAPER_SIZES)
    return fig, caption
