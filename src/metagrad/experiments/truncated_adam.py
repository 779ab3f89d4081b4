"""Figure 7: truncated meta-learning curves with Adam (truncation x coefficient)."""

from metagrad.experiments.meta_training import run_meta_training, truncated_runs


def runs(section):
    return truncated_runs(section)


def run(cfg, section, progress, checkpoint_dir=None):
    return run_meta_training(cfg, section, "truncated_adam", runs(section), progress, checkpoint_dir)
