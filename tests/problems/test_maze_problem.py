"""The maze problem's learner and outer terms (spec section 6)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metagrad.envs.maze import MazeEnv
from metagrad.estimators import MGSetting, make_mg
from metagrad.learners.actor_critic import discounted_returns
from metagrad.problems.maze import MazeProblem


def test_paper_learner_size_and_initialisation():
    problem = MazeProblem(MazeEnv(3, 8), 8, 10)
    params, _ = problem.start(jax.random.PRNGKey(0), None, problem.eta_template())
    assert sum(x.size for x in jax.tree.leaves(params)) == 146_693      # ~146 k (spec)
    kernel = np.asarray(params["policy"]["params"]["Dense_1"]["kernel"])
    assert abs(kernel.std() * np.sqrt(256) - 1.0) < 0.05                 # std 1/sqrt(fan_in)
    assert np.abs(kernel).max() * np.sqrt(256) < 2.5                     # truncated
    assert all(np.all(np.asarray(b) == 0) for b in jax.tree.leaves(params)
               if b.ndim == 1)                                           # zero biases


def test_discounted_returns():
    r = jnp.asarray([[1.0, 0.0, 2.0]])
    np.testing.assert_allclose(np.asarray(discounted_returns(r, 0.5)), [[1.5, 1.0, 2.0]])


def test_entropy_coefficient_is_sigmoid_and_enters_the_update():
    problem = MazeProblem(MazeEnv(2, 3), 2, 2, hidden=(8,))
    assert float(problem.ent_coef(jnp.asarray(0.0))) == 0.5
    params, state = problem.start(jax.random.PRNGKey(0), None, jnp.asarray(0.0))
    _, batch = problem.collect(params, state, jax.random.PRNGKey(1))
    low = problem.update(params, batch, jnp.asarray(-3.0), 0)
    high = problem.update(params, batch, jnp.asarray(3.0), 0)
    assert not np.allclose(np.asarray(low["policy"]["params"]["Dense_1"]["kernel"]),
                           np.asarray(high["policy"]["params"]["Dense_1"]["kernel"]))
    # the value torso does not see the entropy coefficient
    np.testing.assert_array_equal(np.asarray(low["value"]["params"]["Dense_1"]["kernel"]),
                                  np.asarray(high["value"]["params"]["Dense_1"]["kernel"]))


def test_both_outer_losses_see_the_same_lifetimes():
    """Same key: identical objectives (the sampled windows are paired), different estimates."""
    problem = MazeProblem(MazeEnv(2, 3), 4, 2, hidden=(8,))
    keys = jax.random.split(jax.random.PRNGKey(0), 6)
    out = {}
    for loss in ("no_advantage", "with_advantage"):
        mg = make_mg(problem.with_outer_loss(loss), [MGSetting(3, 1.0), MGSetting(3, 0.0)])
        est = jax.vmap(lambda k, mg=mg: mg.estimate((), k, jnp.asarray(0.3))[0])(keys)
        out[loss] = est
    np.testing.assert_array_equal(np.asarray(out["no_advantage"].objective),
                                  np.asarray(out["with_advantage"].objective))
    assert not np.allclose(np.asarray(out["no_advantage"].grad), np.asarray(out["with_advantage"].grad))


@pytest.mark.parametrize("kwargs,key", [({"outer_loss": "baseline"}, "outer_loss"),
                                        ({"trajectories_per_update": 0}, "trajectories_per_update")])
def test_bad_arguments_name_the_key(kwargs, key):
    args = {"env": MazeEnv(2, 2), "lifetime_length": 2, "trajectories_per_update": 1, **kwargs}
    with pytest.raises(ValueError, match=key):
        MazeProblem(**args)


def context_problem(outer_loss="no_advantage", lifetime_length=3, episode_length=2):
    return MazeProblem(MazeEnv(2, episode_length), lifetime_length, 2, outer_loss, hidden=(8,),
                       meta_form="context")


def test_context_meta_network_reads_a_fifo_of_mean_rewards():
    from jax.flatten_util import ravel_pytree

    problem = context_problem()
    eta = problem.eta_template()
    assert ravel_pytree(eta)[0].size == 385                               # spec: 385 parameters
    params, state = problem.start(jax.random.PRNGKey(0), None, eta)
    np.testing.assert_array_equal(np.asarray(params["history"]), np.zeros(10))
    means = []
    for step in range(3):
        state, batch = problem.collect(params, state, jax.random.PRNGKey(step))
        params = problem.update(params, batch, eta, step)
        means.append(float(jnp.mean(batch.rewards)))
    np.testing.assert_allclose(np.asarray(params["history"])[-3:], means, rtol=1e-6)  # newest last
    np.testing.assert_array_equal(np.asarray(params["history"])[:7], np.zeros(7))
    # the coefficient depends on the history
    shifted = {**params, "history": params["history"] + 1.0}
    assert float(problem.ent_coef(eta, params)) != float(problem.ent_coef(eta, shifted))


def test_context_forward_mode_equals_reverse_mode():
    from metagrad.estimators.base import flat_grads

    problem = context_problem(lifetime_length=4)
    eta = problem.eta_template()
    settings = [MGSetting(3, 1.0), MGSetting(1, 0.0)]
    grads = {}
    for mode in ("forward", "reverse"):
        mg = make_mg(problem, settings, mode=mode)
        estimate, _ = mg.estimate((), jax.random.PRNGKey(3), eta)
        grads[mode] = np.asarray(flat_grads(estimate.grad))
    assert make_mg(problem, settings).settings[0]["mode"] == "reverse"   # D = 385 > 16
    scale = np.abs(grads["forward"]).max()
    assert scale > 0
    np.testing.assert_allclose(grads["reverse"], grads["forward"], atol=1e-5 * scale)
