"""Figures 4 and 5: the L = 80 bias-variance frontier (truncation x coefficient, DiCE, ES)."""

from metagrad.experiments.frontier import run_frontier


def run(cfg, section, progress, checkpoint_dir=None):
    return run_frontier(cfg, section, "frontier_L80", progress, checkpoint_dir)
