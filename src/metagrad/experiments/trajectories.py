"""Figure 2: meta-learning trajectories from 9 starts for FD, naive, correction and DiCE."""

import itertools

from metagrad.experiments.meta_training import named_runs, run_meta_training


def run(cfg, section, progress, checkpoint_dir=None):
    starts = list(itertools.product(section["start_values"], repeat=2))
    runs = named_runs(section, section["lifetime_length"], starts)
    return run_meta_training(cfg, section, "trajectories", runs, progress, checkpoint_dir)
