"""Figure 2: meta-learning trajectories from 9 starts for FD, naive, correction and DiCE."""

import itertools

from metagrad.experiments.meta_training import named_runs, run_meta_training


def runs(section):
    starts = list(itertools.product(section["start_values"], repeat=2))
    return named_runs(section, section["lifetime_length"], starts)


def run(cfg, section, progress, checkpoint_dir=None):
    return run_meta_training(cfg, section, "trajectories", runs(section), progress,
                             checkpoint_dir)
