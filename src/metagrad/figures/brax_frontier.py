"""Brax bias-variance frontier (ours, beyond the paper; spec section 7).

The frontier of figure 4 on a Brax task: input tables ``frontier_aggregate`` and
``frontier_points`` of the ``brax_frontier`` experiment. Left: the paper's raw bias against
variance (log) of the estimators as the paper samples them (no correction baseline); right:
the decisive bias of the same settings with the history baseline (ours: paired against
untruncated c = 1 with baseline, the same means). Drawing: :mod:`metagrad.figures.frontier_plot`.
"""

from __future__ import annotations

from metagrad.figures import captions, frontier_plot


def task_text(cfg: dict, section: dict) -> str:
    """'Brax <env> (<backend> backend; ours, beyond the paper)' for captions."""
    task = cfg.get("tasks", {}).get(section.get("task"), {})
    return (f"the Brax task {task.get('env', '?')} ({task.get('backend', '?')} backend, "
            f"{task.get('num_envs', '?')} episodes x {task.get('episode_length', '?')} steps per inner "
            f"step; ours, beyond the paper)")


def draw(tables: dict, cfg: dict, section: dict):
    panels = (frontier_plot.RAW_BIAS, *frontier_plot.second_panel(
        tables, frontier_plot.DECISIVE_BIAS, frontier_plot.CORRECTED_BIAS))
    fig, agg, L, info = frontier_plot.frontier_figure(
        tables, section, panels, figure_no=4, title="Brax (ours): bias-variance frontier")
    caption = captions.frontier_caption(
        agg, cfg, section, L, info, figure_no=4, corrected_panel=True,
        task_text=task_text(cfg, section),
        x_text="Left: x = bias x 1e4 (grid mean over the eta grid, the paper's metric; axis from 0); "
               "y: the estimators as the paper samples them, with no correction baseline.",
        extra=frontier_plot.decisive_sentence(panels)
        + " The decisive panel's rows use the history baseline of the sampling correction (ours: "
          "b_j = the previous step's reward, the same means).")
    return fig, caption.replace("Figure 4 (", "Brax frontier (", 1)
