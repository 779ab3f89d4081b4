"""Figure 8: coefficient versus meta-discount frontier at L = 30."""

from metagrad.experiments.frontier import run_frontier


def run(cfg, section, progress, checkpoint_dir=None):
    return run_frontier(cfg, section, "frontier_L30", progress, checkpoint_dir)
