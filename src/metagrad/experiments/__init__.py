"""Experiments, one module per kind. The CLI dispatches on an experiment section's ``kind``:
``KINDS[kind](cfg, section, name, progress, checkpoint_dir) -> tidy DataFrame``."""

from __future__ import annotations


def _landscape(*args, **kwargs):
    from metagrad.experiments.landscape import run
    return run(*args, **kwargs)


def _frontier(*args, **kwargs):
    from metagrad.experiments.frontier import run
    return run(*args, **kwargs)


def _meta_training(*args, **kwargs):
    from metagrad.experiments.meta_training import run
    return run(*args, **kwargs)


def _maze_gradients(*args, **kwargs):
    from metagrad.experiments.maze_gradients import run
    return run(*args, **kwargs)


def _brax_training(*args, **kwargs):
    from metagrad.experiments.brax_training import run
    return run(*args, **kwargs)


def _maze_training(*args, **kwargs):
    from metagrad.experiments.maze_training import run
    return run(*args, **kwargs)


def _brax_maml(*args, **kwargs):
    from metagrad.experiments.brax_maml import run
    return run(*args, **kwargs)


# imported lazily, so that `metagrad validate` does not import JAX
KINDS = {"landscape": _landscape, "frontier": _frontier, "named_training": _meta_training,
         "truncated_training": _meta_training, "maze_gradients": _maze_gradients,
         "brax_training": _brax_training,
         "maze_training": _maze_training,
         "brax_maml": _brax_maml}   # ours: Brax short-horizon MAML meta-gradients
