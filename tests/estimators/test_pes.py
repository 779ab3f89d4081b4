"""PES (Vicol et al., 2021; ours here) against online truncated ES on a problem whose
untruncated gradient is known in closed form.

Toy problem (through the MetaProblem interface): ``x_0 = 0``, ``x_{t+1} = x_t + eta``,
``objective_t = -(x_t - 1)^2``, L = 8, windows of T = 2 (4 calls per lifetime). x is linear in
every window's perturbation, so the objective is quadratic in them and Gaussian smoothing does
not move the gradient: ``dJ/deta = (1/L) sum_t -2 t (t eta - 1)`` is the exact target of PES.
Truncated ES ignores how eta shaped the state entering each window: its mean is
``(1/L) sum_t -2 (t - s(t)) (t eta - 1)`` with s(t) the window's first step, far from it.
The estimates are means over 400 independent estimators x 4 calls; tolerances are 4.5
standard errors (two-sided false-failure rate ~7e-6).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metagrad.estimators.base import flat_grads
from metagrad.estimators.pes import make_online_es
from metagrad.problems.base import OuterTerms

L, T, ETA = 8, 2, 0.3


class Drift:
    lifetime_length = L

    def eta_template(self):
        return jnp.zeros((), jnp.float32)

    def sample_task(self, key):
        return jnp.zeros(())

    def start(self, key, task, eta):
        return jnp.zeros(()), jnp.zeros(())

    def collect(self, x, env_state, key):
        return env_state, jax.lax.stop_gradient(x)

    def update(self, x, batch, eta, step, hessian="none"):
        return x + eta

    def outer_terms(self, x, batch, eta, step):
        z = jnp.zeros(())
        return OuterTerms(objective=-(x - 1.0) ** 2, direct=z, score=z, credit=z, baseline=z)


def exact(truncated):
    t = np.arange(L)
    s = (t // T) * T if truncated else 0
    return np.mean(-2.0 * (t - s) * (t * ETA - 1.0))


def run(persistent, estimators=400):
    est = make_online_es(Drift(), T, sigma=0.1, num_pairs=4, persistent=persistent)

    def lifetime(key):
        state = est.init(key, jnp.asarray(ETA))
        grads = []
        for k in range(L // T):
            estimate, state = est.estimate(state, jax.random.fold_in(key, k), jnp.asarray(ETA))
            grads.append(flat_grads(estimate.grad)[0, 0])
        return jnp.mean(jnp.stack(grads)), state.step

    values, steps = jax.jit(jax.vmap(lifetime))(jax.random.split(jax.random.PRNGKey(0), estimators))
    assert np.all(np.asarray(steps) == 0)            # every lifetime ended and restarted
    values = np.asarray(values, np.float64)
    return values.mean(), values.std(ddof=1) / np.sqrt(values.size)


def test_pes_is_unbiased_for_the_untruncated_gradient():
    mean, se = run(persistent=True)
    assert abs(mean - exact(False)) < 4.5 * se, (mean, se, exact(False))


def test_truncated_online_es_is_biased_toward_the_truncated_gradient():
    mean, se = run(persistent=False)
    assert abs(mean - exact(True)) < 4.5 * se, (mean, se, exact(True))
    assert abs(mean - exact(False)) > 10 * se
    assert abs(exact(True) - exact(False)) > 0.3 * abs(exact(False))


@pytest.mark.parametrize("kwargs,key", [({"truncation_length": 3}, "truncation_length"),
                                        ({"sigma": 0.0}, "sigma"), ({"num_pairs": 0}, "num_pairs")])
def test_bad_arguments_name_the_key(kwargs, key):
    args = {"truncation_length": 2, "sigma": 0.1, "num_pairs": 1, **kwargs}
    with pytest.raises(ValueError, match=key):
        make_online_es(Drift(), **args)
