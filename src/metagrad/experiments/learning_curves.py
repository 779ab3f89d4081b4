"""Figure 3: meta-learning curves from eta = (2, 2) for the five named estimators."""

from metagrad.experiments.meta_training import named_runs, run_meta_training


def runs(section):
    return named_runs(section, section["lifetime_length"], [section["eta_start"]])


def run(cfg, section, progress, checkpoint_dir=None):
    return run_meta_training(cfg, section, "learning_curves", runs(section), progress,
                             checkpoint_dir)
