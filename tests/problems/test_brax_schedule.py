"""The Brax learning-rate-schedule problem (ours, spec section 7): no gradient through the
simulator, the task distributions, the Loaded-DiCE inner surrogate, and the FD reference at
the default profile's batch shape (the spring segfault under nested vmaps)."""

import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metagrad.envs.brax_tasks import GOAL_RADIUS, make_task_env
from metagrad.learners.gaussian_policy import GaussianPolicy, normalised_advantages, reward_to_go
from metagrad.problems.brax_schedule import BraxScheduleProblem, from_config

TASK = dict(env="reacher_goal", backend="spring", num_envs=2, episode_length=4, hidden=[8],
            log_std=-0.5, env_batching="map")
SECTION = dict(lifetime_length=3, schedule_split_step=1)


@pytest.fixture(scope="module")
def problem():
    return from_config(TASK, SECTION)


def test_collect_has_exactly_zero_jvp_in_theta(problem):
    key = jax.random.PRNGKey(0)
    task = problem.sample_task(key)
    theta, state = problem.start(key, task, problem.eta_template())
    tangent = jax.tree.map(jnp.ones_like, theta)
    batch, batch_tangent = jax.jvp(lambda th: problem.collect(th, state, key)[1], (theta,), (tangent,))
    assert all(np.all(np.asarray(t) == 0) for t in jax.tree.leaves(batch_tangent))
    assert np.isfinite(np.asarray(batch.rewards)).all() and batch.rewards.shape == (2, 4)
    # every episode of the step starts from the task's first reset state
    np.testing.assert_array_equal(batch.obs[0, 0], batch.obs[1, 0])
    np.testing.assert_array_equal(batch.obs[0, 0], task.obs)


def test_reacher_goals_lie_in_the_annulus():
    env = make_task_env("reacher_goal", "spring")
    goals = np.asarray(jax.vmap(lambda k: env.reset(k).info["task"])(
        jax.random.split(jax.random.PRNGKey(1), 256)))
    radius = np.linalg.norm(goals, axis=1)
    assert radius.min() >= GOAL_RADIUS[0] - 1e-6 and radius.max() <= GOAL_RADIUS[1] + 1e-6
    assert radius.min() < 0.11 and radius.max() > 0.19        # the whole annulus is reached
    state = env.reset(jax.random.PRNGKey(2))
    np.testing.assert_allclose(np.asarray(state.obs[4:6]), np.asarray(state.info["task"]), atol=1e-6)


def test_loaded_dice_surrogate_has_the_plain_value_and_gradient_but_cross_time_hessian():
    policy = GaussianPolicy(3, 2, hidden=(4,))
    k1, k2, k3, k4 = jax.random.split(jax.random.PRNGKey(3), 4)
    theta = policy.init(k1)
    obs = jax.random.normal(k2, (2, 5, 3))
    actions = jax.random.normal(k3, (2, 5, 2))
    rewards = jax.random.normal(k4, (2, 5))
    plain = lambda th: policy.surrogate(th, obs, actions, rewards)           # noqa: E731
    dice = lambda th: policy.surrogate(th, obs, actions, rewards, "dice")     # noqa: E731
    g_plain, g_dice = jax.grad(plain)(theta), jax.grad(dice)(theta)
    for a, b in zip(jax.tree.leaves(g_plain), jax.tree.leaves(g_dice)):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-5, atol=1e-7)
    # second order: DiCE adds sum_t A_t (grad c_t grad c_t^T - grad c_(t-1) grad c_(t-1)^T),
    # the causal cross-time products of the scores; check along one direction
    v = jax.tree.map(jnp.ones_like, theta)
    hvp = lambda f: jax.jvp(jax.grad(f), (theta,), (v,))[1]                   # noqa: E731
    flat = lambda t: jnp.concatenate([x.ravel() for x in jax.tree.leaves(t)])  # noqa: E731
    adv = normalised_advantages(rewards)
    logp = lambda th: policy.log_prob(th, obs, actions)                       # noqa: E731
    cum = lambda th: jnp.cumsum(logp(th), axis=-1)                            # noqa: E731
    grads_c = jax.jacrev(cum)(theta)                       # leaves [E, T, ...]
    gc = jnp.concatenate([x.reshape(2, 5, -1) for x in jax.tree.leaves(grads_c)], -1)  # [E, T, P]
    gprev = jnp.concatenate([jnp.zeros_like(gc[:, :1]), gc[:, :-1]], axis=1)
    gv = jnp.einsum("etp,p->et", gc, flat(v))
    gpv = jnp.einsum("etp,p->et", gprev, flat(v))
    extra = jnp.einsum("et,etp->p", adv * gv, gc) - jnp.einsum("et,etp->p", adv * gpv, gprev)
    np.testing.assert_allclose(np.asarray(flat(hvp(dice)) - flat(hvp(plain))),
                               np.asarray(extra / adv.size), rtol=2e-4, atol=1e-5)
    assert float(jnp.abs(extra).max()) > 1e-3


def test_reward_to_go_and_advantages():
    r = jnp.array([[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(np.asarray(reward_to_go(r)), [[6, 5, 3], [1, 1, 1]])
    a = np.asarray(normalised_advantages(r))
    assert abs(a.mean()) < 1e-6 and abs(a.std() - 1) < 1e-5


def test_bad_input_names_the_key():
    with pytest.raises(ValueError, match="tasks.brax_schedule.env"):
        make_task_env("reacher_goals", "spring")
    with pytest.raises(ValueError, match="num_envs"):
        BraxScheduleProblem("reacher_goal", "spring", 3, 1, 0, 4)
    with pytest.raises(ValueError, match="rb_baseline"):
        from_config({**TASK, "correction_baseline": "lookahead"}, SECTION)
    with pytest.raises(ValueError, match="rb_outer_terms"):
        from_config({**TASK, "outer_terms_form": "conditional"}, SECTION)


FD_AT_DEFAULT_SHAPE = textwrap.dedent("""
    import jax, jax.numpy as jnp, numpy as np
    from metagrad.config import load_config
    from metagrad.estimators import make_fd
    from metagrad.estimators.base import sample_grads
    from metagrad.problems.brax_schedule import from_config
    cfg = load_config("default")
    task = dict(cfg["tasks"]["brax_schedule"], env_batching="{batching}")
    problem = from_config(task, dict(lifetime_length=2, schedule_split_step=1))
    fd = make_fd(problem, 0.1)
    f = jax.jit(jax.vmap(jax.vmap(lambda k, e: sample_grads(fd, k, e), in_axes=(0, None))))
    keys = jax.random.split(jax.random.PRNGKey(0), 2 * 16).reshape(2, 16, 2)
    g = np.asarray(f(keys, jnp.full((2, 2), -3.5)))
    assert g.shape == (2, 16, 1, 2) and np.isfinite(g).all(), g
    print("ok")
""")


def test_fd_reference_runs_at_the_default_batch_shape():
    """Regression: on jax 0.10.2 CPU the spring pipeline segfaulted under the FD reference's
    nested vmaps (points x samples x directions x (+-) x episodes) with vmap over episodes; the
    default profile maps over episodes (``env_batching: map``). Run in a child process, so a
    segfault is a failure, not a crash of the test session (set env_batching to vmap to see it:
    exit code -11)."""
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    proc = subprocess.run([sys.executable, "-c", FD_AT_DEFAULT_SHAPE.format(batching="map")],
                          capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0 and "ok" in proc.stdout, (proc.returncode, proc.stderr[-3000:])
