"""A probe problem whose outer terms expose HOW an estimator drew its lifetimes (test support).

eta in R^2. The learner is eta itself: ``start`` returns it (theta_0 = eta) and every update
returns it again (theta_{t+1} = eta), so inside a window d learner / d eta = I except at a
window's first step (a constant there, unless the window starts at step 0). A task is one
uniform scalar ``task``; each step draws one uniform ``u`` from its collect key.

    objective_t = a * task + b * u_t + c * learner_0      (ES and FD fitness)
    direct_t    = task ** 2 * learner_0                     (MG: d direct / d eta_0 = task ** 2)

so: two lifetimes on one task give ``grad_0 == objective ** 2``; shared streams give equal
``u``; antithetic ES on ``c = 1`` gives ``g_0 = z_0 ** 2 >= 0``.
"""

import jax
import jax.numpy as jnp

from metagrad.problems.base import OuterTerms


class ProbeProblem:
    def __init__(self, lifetime_length=6, a=1.0, b=0.0, c=0.0):
        self.lifetime_length = lifetime_length
        self.a, self.b, self.c = a, b, c

    def eta_template(self):
        return jnp.zeros(2)

    def sample_task(self, key):
        return jax.random.uniform(key)

    def start(self, key, task, eta):
        return eta, task

    def collect(self, learner, env_state, key):
        return env_state, (env_state, jax.random.uniform(key))

    def update(self, learner, batch, eta, step, hessian="none"):
        return eta

    def outer_terms(self, learner, batch, eta, step):
        task, u = batch
        objective = self.a * task + self.b * u + self.c * jax.lax.stop_gradient(learner[0])
        return OuterTerms(objective=objective, direct=task ** 2 * learner[0],
                          score=jnp.zeros(()), credit=objective, baseline=jnp.zeros(()))
