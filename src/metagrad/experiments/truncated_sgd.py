"""Figure 6: truncated meta-learning curves with SGD (truncation x coefficient)."""

from metagrad.experiments.meta_training import run_meta_training, truncated_runs


def run(cfg, section, progress, checkpoint_dir=None):
    return run_meta_training(cfg, section, "truncated_sgd", truncated_runs(section), progress,
                             checkpoint_dir)
