"""Experiments: interrupted runs resume to the same numbers; same seed, same numbers."""

import copy

import numpy as np
import pandas as pd
import pytest

from metagrad.config import load_config
from metagrad.experiments import KINDS
from metagrad.progress import NullProgress

from helpers import Interrupted, InterruptAfter




@pytest.fixture(scope="module")
def smoke():
    return load_config("smoke")


def _frontier_section(cfg):
    section = copy.deepcopy(cfg["experiments"]["frontier_L80"])
    section.update(lifetime_length=12, schedule_split_step=2, truncation_lengths=[1, 11],
                   coefficients=[0.0, 1.0], grid_size=2, mg_batches=3, es_batches=2,
                   fd_batches=2, samples_per_batch=8, fd_samples_per_batch=8,
                   include_dice=False, include_es=False)
    return section


def _maze_section(cfg):
    return {**cfg["experiments"]["maze_gradients"], "w_points": 2, "num_seeds": 2,
            "mg_agents_per_seed": 4, "fd_agents_per_seed": 2, "agents_per_call": 4}


_REFERENCES = {}


def _reference(cfg, section, name):
    """One uninterrupted run per (name, section), shared by the tests of this module (the maze
    programs take most of this file's time to compile)."""
    key = (name, repr(sorted(section.items())))
    if key not in _REFERENCES:
        _REFERENCES[key] = KINDS[section["kind"]](cfg, section, name, NullProgress())
    return _REFERENCES[key]


@pytest.mark.parametrize("name, make_section, interrupt_after", [
    ("frontier_L80", _frontier_section, 2),
    ("learning_curves", lambda cfg: {**cfg["experiments"]["learning_curves"], "num_updates": 30,
                                     "eval_every": 10, "estimators": ["fd", "correction"]}, 3),
    ("maze_gradients", _maze_section, 2),
], ids=["frontier", "meta_training", "maze_gradients"])
def test_interrupted_run_resumes_to_identical_results(smoke, tmp_path, name, make_section,
                                                      interrupt_after):
    """Kill after some finished work, rerun: the same table as one uninterrupted run."""
    section = make_section(smoke)
    run = KINDS[section["kind"]]
    reference = _reference(smoke, section, name)
    with pytest.raises(Interrupted):
        run(smoke, section, name, InterruptAfter(interrupt_after), checkpoint_dir=tmp_path)
    assert any(tmp_path.iterdir()), "nothing was checkpointed before the interruption"
    resumed = run(smoke, section, name, NullProgress(), checkpoint_dir=tmp_path)
    pd.testing.assert_frame_equal(reference, resumed)
    numeric = reference.select_dtypes("number").to_numpy(float)
    assert np.isfinite(numeric[~np.isnan(numeric)]).all()


def test_grid_points_get_independent_samples_and_settings_share_them():
    """Points must not share keys (the grid mean would average one noise draw 25 times)."""
    import jax
    from metagrad.estimators.base import Estimate, stateless
    from metagrad.experiments.common import Checkpoint, sample_batches

    def estimate(key, eta):                       # ignores eta: pure key noise, 2 settings
        z = jax.random.normal(key, (2,))
        return Estimate(jax.numpy.stack([z, 2.0 * z]), jax.numpy.zeros(2))

    estimator = stateless(({"estimator": "a"}, {"estimator": "b"}), estimate)
    etas = np.zeros((3, 2), np.float32)
    table = sample_batches(estimator, etas, 2, 64, jax.random.PRNGKey(0), "g", NullProgress(),
                           Checkpoint(None, "x"))
    a = table[table.setting_id == "a"].sort_values(["batch", "eta_index"])
    b = table[table.setting_id == "b"].sort_values(["batch", "eta_index"])
    means = a.pivot(index="batch", columns="eta_index", values="mean_0").to_numpy()
    assert len(np.unique(np.round(means, 6))) == means.size     # every point differs
    np.testing.assert_allclose(b["mean_0"].to_numpy(), 2 * a["mean_0"].to_numpy(), rtol=1e-6)


def test_experiment_salts_use_the_whole_name():
    """Names sharing their first 4 bytes (frontier_L80 / frontier_L30, truncated_sgd /
    truncated_adam) used to share root keys; the salt hashes the whole name."""
    from metagrad.experiments.common import name_salt

    names = ["frontier_L80", "frontier_L30", "truncated_sgd", "truncated_adam", "landscape",
             "trajectories", "learning_curves"]
    assert len({name_salt(n) for n in names}) == len(names)


def test_maze_gradients_table_pairs_the_variants(smoke):
    """Both MG variants on the same agents: the paired-difference row equals the difference of
    the variants' means, and the objectives (same sampled windows) are identical."""
    table = _reference(smoke, _maze_section(smoke), "maze_gradients")
    assert set(table["variant"]) == {"no_advantage", "with_advantage", "with_minus_no", "fd"}
    key = ["w", "seed"]
    by = {v: g.set_index(key).sort_index() for v, g in table.groupby("variant")}
    np.testing.assert_allclose(by["with_minus_no"]["mean"],
                               by["with_advantage"]["mean"] - by["no_advantage"]["mean"],
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(by["with_advantage"]["objective"], by["no_advantage"]["objective"])
    assert (by["no_advantage"]["num_agents"] == 4).all() and (by["fd"]["num_agents"] == 2).all()
