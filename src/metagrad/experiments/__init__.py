"""Experiments: ``run(cfg, section, progress[, checkpoint_dir]) -> tidy DataFrame``."""
