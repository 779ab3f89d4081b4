"""How estimators draw their lifetimes, checked by exact identities on a probe problem.

Each test fails under a specific mutation of the sampling path (named in its docstring); the
identities hold sample by sample, so there is no statistical tolerance, only float round-off.
"""

import jax
import jax.numpy as jnp
import numpy as np

from probe_problem import ProbeProblem
from metagrad.estimators import MGSetting, make_es, make_fd, make_mg
from metagrad.estimators.mg import make_mg_program, mg_structure

ETA = jnp.array([0.3, -0.2])
KEYS = jax.random.split(jax.random.PRNGKey(0), 256)


def samples(estimator):
    def one(key):
        estimate, _ = estimator.estimate(estimator.init(key, ETA), key, ETA)
        return estimate.grad, estimate.objective

    grads, objectives = jax.jit(jax.vmap(one))(KEYS)
    return np.asarray(grads, np.float64), np.asarray(objectives, np.float64)


def test_the_two_lifetimes_of_an_mg_sample_share_their_task():
    """Mutation caught: lifetimes of one sample on different bandits (grad_0 would be the mean of
    task ** 2 while the objective is the mean of task)."""
    problem = ProbeProblem()
    grads, objectives = samples(make_mg(problem, [MGSetting(5, 1.0)], lifetimes_per_sample=2))
    np.testing.assert_allclose(grads[:, 0, 0], objectives[:, 0] ** 2, rtol=1e-5)
    assert np.std(objectives) > 0.1   # tasks do vary between samples


def test_truncated_windows_are_normalised_by_their_own_length():
    """Exact: a window of T steps starting after step 0 has T - 1 differentiated learner states,
    so grad_0 = task ** 2 (T - 1) / T. Mutation caught: normalising by L (or L B)."""
    problem = ProbeProblem(lifetime_length=6)
    T = 3
    structure, values = mg_structure([MGSetting(T - 1, 1.0)], problem.lifetime_length)
    for mode in ("forward", "reverse"):
        program = make_mg_program(problem, structure, mode=mode)
        grads, _ = program.at_starts(jax.random.PRNGKey(1), ETA, jnp.asarray(0.7),
                                     jnp.array([2]), values)
        np.testing.assert_allclose(grads[0], [0.49 * (T - 1) / T, 0.0], rtol=1e-6)
        # a window at step 0 also differentiates theta_0 = eta: all T states count
        grads, _ = program.at_starts(jax.random.PRNGKey(1), ETA, jnp.asarray(0.7),
                                     jnp.array([0]), values)
        np.testing.assert_allclose(grads[0], [0.49, 0.0], rtol=1e-6)


def test_es_members_share_the_task():
    """With fitness = task, members on one bandit tie: g = 0 up to evosax's float32 round-off
    (|g| < 1e-5; members on different bandits give |g| ~ |z| |task+ - task-| / 2 sigma ~ 1).
    Mutation caught: members on different bandits."""
    grads, _ = samples(make_es(ProbeProblem(a=1.0), [5], sigma=0.1))
    assert np.abs(grads).max() < 1e-5


def test_es_members_have_their_own_random_streams():
    """With fitness = mean of per-step uniforms, independent streams differ: g != 0 in every
    sample. Mutation caught: both members on one stream (g = 0 exactly)."""
    grads, _ = samples(make_es(ProbeProblem(a=0.0, b=1.0), [5], sigma=0.1))
    assert np.all(np.abs(grads[:, 0]).sum(axis=-1) > 0)


def test_es_is_antithetic():
    """With fitness = eta_0, an antithetic pair gives g = z z_0, so g_0 = z_0 ** 2 >= 0 in every
    sample and E[g] = e_0. Mutation caught: two independent perturbations (g_0 < 0 often)."""
    grads, _ = samples(make_es(ProbeProblem(a=0.0, c=1.0), [5], sigma=0.1))
    assert np.all(grads[:, 0, 0] >= 0)
    mean, se = grads[:, 0].mean(axis=0), grads[:, 0].std(axis=0) / np.sqrt(len(grads))
    assert np.all(np.abs(mean - [1.0, 0.0]) < 4.5 * se)     # |z| < 4.5: false-fail rate 7e-6


def test_fd_uses_common_random_numbers():
    """The objective does not depend on eta: with the same task and the same streams at
    eta +- eps/2 the difference is 0 up to float32 round-off (|g| < 1e-4; independent noise or
    bandits give |g| ~ 0.3 / eps = 30). Mutation caught: independent noise or bandits."""
    grads, _ = samples(make_fd(ProbeProblem(a=1.0, b=1.0), 0.01))
    assert np.abs(grads).max() < 1e-4
    grads, _ = samples(make_fd(ProbeProblem(a=0.0, c=1.0), 0.5))
    np.testing.assert_allclose(grads[:, 0], np.tile([1.0, 0.0], (len(KEYS), 1)), atol=1e-5)
