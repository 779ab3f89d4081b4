"""Figure 10's pieces: online MG over persistent agents is the gradient of the paper's window
surrogate; flips happen at window starts once an interval boundary is crossed; the experiment
resumes to the same table, pairs runs of one seed, and rejects bad input before any compute."""

import copy

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
from jax.flatten_util import ravel_pytree

from metagrad.config import ConfigError, load_config, validate_config
from metagrad.envs.maze import MazeEnv
from metagrad.estimators.online_mg import make_online_mg
from metagrad.experiments import maze_training
from metagrad.problems.maze import MazeProblem
from metagrad.problems.maze_persistent import PersistentMaze
from metagrad.progress import NullProgress

from helpers import Interrupted, InterruptAfter


def tiny_problem(window, flip_interval=1000):
    base = MazeProblem(MazeEnv(2, 3), window, 2, hidden=(6,), meta_form="context")
    return PersistentMaze(base, window, flip_interval)


def literal_window_gradient(problem, learner, env_state, key, eta, c):
    """``-grad`` of ``-(1/T) sum_i (direct_i + c sum_{j<i} credit_i S_j)`` over one window
    from a constant learner, written out and differentiated by ``jax.grad``."""
    T = problem.window_length
    step_keys = jax.random.split(key, T)

    def loss(e):
        current, state, direct, credit, score = learner, env_state, [], [], []
        for i in range(T):
            state, batch = problem.collect(current, state, step_keys[i])
            terms = problem.outer_terms(current, batch, e, i)
            direct.append(terms.direct)
            credit.append(jax.lax.stop_gradient(terms.credit))
            score.append(terms.score)
            current = problem.update(current, batch, e, i)
        correction = sum(credit[i] * score[j] for i in range(T) for j in range(i))
        return -(sum(direct) + c * correction) / T

    return jax.tree.map(jnp.negative, jax.grad(loss)(eta))


def test_online_mg_is_the_gradient_of_the_window_surrogate_from_a_persistent_agent():
    T = 3
    problem = tiny_problem(T)
    eta = problem.eta_template()
    estimator = make_online_mg(problem, T, 0.0, num_agents=1)
    state = estimator.init(jax.random.PRNGKey(0), eta)
    estimate = jax.jit(estimator.estimate)
    _, state = estimate(state, jax.random.PRNGKey(1), eta, 1.0)   # a used agent, not a fresh one
    key = jax.random.PRNGKey(2)
    agent_key = jax.random.split(key, 1)[0]
    learner = jax.tree.map(lambda x: x[0], state.learners)
    env_state = jax.tree.map(lambda x: x[0], state.env_states)
    literal = jax.jit(lambda c: literal_window_gradient(problem, learner, env_state, agent_key,
                                                        eta, c))
    grads = {}
    for c in (0.0, 1.0):
        got, new_state = estimate(state, key, eta, c)
        want = literal(c)
        got_flat = ravel_pytree(jax.tree.map(lambda g: g[0], got.grad))[0]
        want_flat = ravel_pytree(want)[0]
        assert float(jnp.abs(want_flat).max()) > 0
        np.testing.assert_allclose(got_flat, want_flat, rtol=2e-4, atol=1e-6)
        grads[c] = got_flat
    assert float(jnp.abs(grads[1.0] - grads[0.0]).max()) > 1e-6   # the correction matters at T = 3
    # the agents persist: they moved on by one window
    assert int(new_state.env_states.env_steps[0]) == int(state.env_states.env_steps[0]) + T * 6


def test_flips_at_window_starts_once_an_interval_boundary_was_crossed():
    problem = tiny_problem(window=4, flip_interval=40)   # 6 env steps per update, windows of 24
    learner, state = problem.start(jax.random.PRNGKey(0), None, problem.eta_template())

    def due(update):
        s = state._replace(maze=state.maze._replace(update=jnp.int32(update)),
                           env_steps=jnp.int32(update * 6))
        return bool(problem.flip_due(s))

    # boundaries at 40, 80, ..., 240 env steps; window starts every 24: each flip waits for
    # the next window start (48, 96, 120, 168, 216, 240), so the rate stays one per 40
    assert [u for u in range(0, 41) if due(u)] == [8, 16, 20, 28, 36, 40]
    assert not due(0) and not due(10)   # never at the start, never off a window start


TINY = dict(side=2, episode_length=2, trajectories_per_update=1, hidden=[4], num_agents=2,
            flip_interval=4, env_steps=16, final_env_steps=8, log_every=4,
            mg_truncations=[2], mg_coefficients=[0.0, 1.0], mg_learning_rates=[0.01],
            es_truncations=[2], es_learning_rate=0.01, pes_truncations=[], pes_horizon=4,
            num_seeds=2)




@pytest.fixture(scope="module")
def smoke():
    return load_config("smoke")


def test_maze_training_resumes_to_the_same_table_and_pairs_runs_of_a_seed(smoke, tmp_path,
                                                                         monkeypatch):
    monkeypatch.setattr(maze_training, "CHECKPOINT_SECONDS", -1.0)   # save after every chunk
    section = {**smoke["experiments"]["maze_training"], **TINY}
    reference = maze_training.run(smoke, section, "maze_training", NullProgress())
    with pytest.raises(Interrupted):   # mid-way through the second configuration
        maze_training.run(smoke, section, "maze_training", InterruptAfter(6),
                          checkpoint_dir=tmp_path)
    resumed = maze_training.run(smoke, section, "maze_training", NullProgress(),
                                checkpoint_dir=tmp_path)
    pd.testing.assert_frame_equal(reference, resumed)
    assert set(reference["configuration"]) == {"mg_T2", "es_T2"}
    assert set(reference["estimator"]) == {"naive", "correction", "es"}
    # 8 updates of 2 env steps, a row every 2 updates; 2 seeds (x 2 c for MG)
    assert sorted(reference["env_steps"].unique()) == [4, 8, 12, 16]
    assert len(reference) == 4 * (4 + 2)
    assert np.isfinite(reference["reward_per_step"]).all()
    assert reference["flips"].max() > 0
    # a window of 2 updates has no correction term (S_0 is eta-free): c = 0 and c = 1 share
    # their agents and keys, so their rows are identical; seeds differ
    mg = reference[reference["family"] == "mg"].set_index(["seed", "env_steps", "coefficient"])
    r = mg["reward_per_step"].unstack("coefficient")
    np.testing.assert_array_equal(r[0.0], r[1.0])
    assert not np.array_equal(r.xs(0, level="seed")[1.0], r.xs(1, level="seed")[1.0])


@pytest.mark.parametrize("key, value, message", [
    ("mg_truncations", [8], "experiments.maze_training.mg_truncations[0] = 8 makes a window"),
    ("pes_truncations", [8], "experiments.maze_training.pes_truncations[0] = 8 makes a window"),
    ("side", 1, "experiments.maze_training.side = 1 is out of range"),
    ("episode_length", 0, "experiments.maze_training.episode_length = 0 is out of range"),
    ("mg_coefficients", [0.0, 1.5], "experiments.maze_training.mg_coefficients[1] = 1.5"),
    ("es_sigma", 0.0, "experiments.maze_training.es_sigma = 0.0 is out of range"),
    ("num_agents", 3, "experiments.maze_training.num_agents = 3 must be even"),
    ("env_steps", 100, "experiments.maze_training.env_steps = 100 must be a multiple"),
])
def test_bad_input_is_a_config_error_naming_the_key(smoke, key, value, message):
    cfg = copy.deepcopy(smoke)
    cfg["experiments"]["maze_training"][key] = value
    with pytest.raises(ConfigError) as err:
        validate_config(cfg)
    assert message in str(err.value)
    with pytest.raises((ConfigError, ValueError)):   # the runner checks too, before compute
        section = cfg["experiments"]["maze_training"]
        if key in ("mg_truncations", "pes_truncations", "num_agents", "env_steps"):
            maze_training.check_section(section)
        else:
            raise ValueError("schema-only rule")


def test_shards_by_configuration_gather_to_the_unsharded_table(smoke):
    """The paper plan fans figure 10 out by configuration; gathered, the table is the same."""
    from metagrad.experiments import shards

    section = {**smoke["experiments"]["maze_training"], **TINY}
    names = shards.shard_names("maze_training", section, {"by": "configuration"})
    assert names == ["mg_T2", "es_T2"]
    parts = [shards.run_shard(smoke, "maze_training", section, n, NullProgress())
             for n in reversed(names)]
    gathered = shards.gather("maze_training", section, parts)
    reference = maze_training.run(smoke, section, "maze_training", NullProgress())
    pd.testing.assert_frame_equal(gathered, reference, check_exact=True)
    with pytest.raises(shards.ShardError):
        shards.gather("maze_training", section, parts[:1])
