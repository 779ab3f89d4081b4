"""Exact bandit-MAML (ours, issue 13): eta = the initial logits, theta_0 = eta, one inner
REINFORCE step on B = 1 pull, K = 3 arms with fixed rewards, so the 3^2 outcome sequences
(3^3 with the sibling pull) are enumerable. The outer terms are those of the Brax MAML problem
(``metagrad.problems.brax_maml.maml_terms``, ``step_weights``, ``first_order_step``), run
through the estimators' own reverse-mode program (``exact_mg_mean``).

Proven against exact values: the sampling correction's mean is the exact gradient of the
post-adaptation reward (and of the adaptation area); the means of naive, first-order and DiCE
equal their closed forms (the sampled update's Jacobian, the identity, the Jacobian plus DiCE's
``alpha r g g^T``), which differ from the exact gradient; est(c) is linear in c; the sibling
baseline (a pull independent of the pre-update one) keeps the correction's mean.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metagrad.estimators import MGSetting
from metagrad.estimators.exact import (Enumeration, ScriptedProblem, exact_gradient,
                                       exact_mg_mean)
from metagrad.estimators.mg import make_mg_program, mg_structure
from metagrad.learners.dice import magic_box
from metagrad.problems.brax_maml import first_order_step, maml_terms, step_weights

MEANS = jnp.array([1.0, 0.2, -0.5])
LR = 0.7
ETA = jnp.array([0.3, -0.2, 0.1])


class Learner(NamedTuple):
    theta: jax.Array
    sibling_reward: jax.Array


class BanditMAML:
    """The bandit's MAML inner loop: ``theta' = theta + LR r grad log pi(a)`` (DiCE: the
    surrogate ``r box(log pi(a))``); outer terms from ``maml_terms``."""

    def __init__(self, objective="post_adaptation", first_order=False, sibling=False):
        self.lifetime_length = 2
        self.weights = step_weights(objective, 2)
        self.first_order, self.sibling = first_order, sibling

    def eta_template(self):
        return jnp.zeros(3)

    def update(self, learner, action, eta, step, hessian="none"):
        reward = MEANS[action]

        def surrogate(theta):
            logp = jax.nn.log_softmax(theta)[action]
            return reward * (magic_box(logp) if hessian == "dice" else logp)

        new = learner.theta + LR * jax.grad(surrogate)(learner.theta)
        if self.first_order:
            new = first_order_step(learner.theta, new)
        return Learner(new, learner.sibling_reward)

    def outer_terms(self, learner, action, eta, step):
        logp = jax.nn.log_softmax(learner.theta)[action]
        reward = MEANS[action]
        return maml_terms(self.weights, step, reward, reward * logp, logp,
                          learner.sibling_reward if self.sibling else None)


class ScriptedBanditMAML(ScriptedProblem):
    """Replays ``(actions [2], sibling action)``; ``start`` uses eta: theta_0 = eta."""

    def start(self, key, task, eta):
        actions, sibling = task
        return Learner(eta, MEANS[sibling]), (actions, jnp.zeros((), jnp.int32))

    def collect(self, learner, env_state, key):
        actions, step = env_state
        return (actions, step + 1), actions[step]


def enumeration(**kw):
    pairs = np.array([(a, b) for a in range(3) for b in range(3)])
    return Enumeration(ScriptedBanditMAML(BanditMAML(**kw)),
                       (jnp.asarray(pairs), jnp.zeros(len(pairs), jnp.int32)),
                       jnp.zeros(len(pairs)))


# closed forms (independent of the estimator code): J1(theta) = sum_k pi_theta(k) mu_k
def j1(theta):
    return jnp.sum(jax.nn.softmax(theta) * MEANS)


def adapted(eta, a):
    return eta + LR * MEANS[a] * jax.grad(lambda t: jax.nn.log_softmax(t)[a])(eta)


def expectation(fn):
    probs = jax.nn.softmax(ETA)
    return sum(probs[a] * fn(a) for a in range(3))


def exact_post_adaptation_gradient():
    return jax.grad(lambda e: sum(jax.nn.softmax(e)[a] * j1(adapted(e, a)) for a in range(3)))(ETA)


def naive_mean():        # the sampled update's Jacobian, the score term of the first pull dropped
    return expectation(lambda a: jax.grad(lambda e: j1(adapted(e, a)))(ETA))


def first_order_mean():  # the gradient at the adapted parameters
    return expectation(lambda a: jax.grad(j1)(adapted(ETA, a)))


def dice_mean():         # Jacobian + LR r g g^T (DiCE's extra Hessian term)
    def one(a):
        g = jax.grad(lambda t: jax.nn.log_softmax(t)[a])(ETA)
        jac = jax.jacobian(lambda e: adapted(e, a))(ETA) + LR * MEANS[a] * jnp.outer(g, g)
        return jac.T @ jax.grad(j1)(adapted(ETA, a))
    return expectation(one)


RAW = (MGSetting(1, 0.0), MGSetting(1, 0.25), MGSetting(1, 0.5), MGSetting(1, 1.0),
       MGSetting(1, 0.0, hessian="dice"), MGSetting(1, 1.0, hessian="dice"))
_CACHE = {}


def exact_means(settings, enum=None, **kw):
    """Exact means of several untruncated settings in one program (as ``exact_mg_mean``, which
    the adaptation-area test uses as the library's reference): ``{setting: [3]}``."""
    key = (tuple(settings), tuple(sorted(kw.items())), id(enum))
    if key not in _CACHE:
        enum = enumeration(**kw) if enum is None else enum
        structure, values = mg_structure(settings, 2)
        program = make_mg_program(enum.scripted, structure, mode="reverse")

        @jax.jit
        def means():
            def one(actions):
                est = program.at_starts(jax.random.PRNGKey(0), ETA, (actions, jnp.asarray(0)),
                                        jnp.zeros((len(values.window_lengths),), jnp.int32),
                                        values)[0]
                probs = jax.nn.softmax(ETA)[actions[0]] * \
                    jax.nn.softmax(adapted(ETA, actions[0]))[actions[1]]
                return probs * est
            return jax.vmap(one)(enum.sequences[0]).sum(0)

        _CACHE[key] = dict(zip(settings, means()))
    return _CACHE[key]


def mean_of(setting, **kw):
    return exact_means((setting,) if kw else RAW, **kw)[setting]


TOL = dict(atol=2e-6, rtol=2e-5)


def test_enumerated_objective_is_the_post_adaptation_reward():
    exact = exact_gradient(enumeration(), ETA)
    np.testing.assert_allclose(exact, exact_post_adaptation_gradient(), **TOL)


def test_correction_is_unbiased_and_the_others_equal_their_biased_closed_forms():
    exact = exact_post_adaptation_gradient()
    np.testing.assert_allclose(mean_of(MGSetting(1, 1.0)), exact, **TOL)
    for got, closed in ((mean_of(MGSetting(1, 0.0)), naive_mean()),
                        (mean_of(MGSetting(1, 0.0), first_order=True), first_order_mean()),
                        (mean_of(MGSetting(1, 0.0, hessian="dice")), dice_mean())):
        np.testing.assert_allclose(got, closed, **TOL)
        # biased: 100x beyond the round-off tolerance at which equality is asserted (DiCE's
        # bias is second order in the learning rate: its Hessian term is LR r g g^T grad J,
        # about g (J(theta_1) - J(theta_0)), the missing correction term to first order)
        assert float(jnp.linalg.norm(closed - exact)) > 100 * TOL["atol"] * 3 ** 0.5
    # DiCE + correction = DiCE's extra term added to the unbiased estimate
    np.testing.assert_allclose(mean_of(MGSetting(1, 1.0, hessian="dice")),
                               exact + dice_mean() - naive_mean(), **TOL)


def test_c_sweep_is_linear_between_naive_and_correction():
    naive, exact = naive_mean(), exact_post_adaptation_gradient()
    for c in (0.25, 0.5):
        np.testing.assert_allclose(mean_of(MGSetting(1, c)), naive + c * (exact - naive), **TOL)


def test_correction_is_unbiased_for_the_adaptation_area():
    enum = enumeration(objective="adaptation_area")
    exact = exact_gradient(enum, ETA)   # J = mean over both steps of the expected reward
    area = 0.5 * (jax.grad(j1)(ETA) + exact_post_adaptation_gradient())
    np.testing.assert_allclose(exact, area, **TOL)
    np.testing.assert_allclose(exact_mg_mean(enum, MGSetting(1, 1.0), ETA, mode="reverse"),
                               exact, **TOL)


def sibling_mean(setting, sibling=True):
    """E over (a0, a1) and an independent sibling pull a_s ~ pi_eta of the estimate."""
    enum = enumeration(sibling=sibling)
    structure, values = mg_structure([setting], 2)
    program = make_mg_program(enum.scripted, structure, mode="reverse")
    probs = jax.nn.softmax(ETA)
    triples = np.array([(a0, a1, s) for a0 in range(3) for a1 in range(3) for s in range(3)])
    weights = jnp.stack([probs[a0] * jax.nn.softmax(adapted(ETA, a0))[a1] * probs[s]
                         for a0, a1, s in triples])

    @jax.jit
    def estimates(actions, siblings):
        return jax.vmap(lambda a, s: program.at_starts(
            jax.random.PRNGKey(0), ETA, (a, s), jnp.zeros((1,), jnp.int32), values)[0][0])(
            actions, siblings)

    est = estimates(jnp.asarray(triples[:, :2]), jnp.asarray(triples[:, 2]))
    return weights @ est


def test_sibling_baseline_keeps_the_correction_unbiased():
    np.testing.assert_allclose(sibling_mean(MGSetting(1, 1.0)), exact_post_adaptation_gradient(),
                               **TOL)


def test_a_baseline_that_sees_the_pre_update_pull_is_caught():
    """Negative control: a 'sibling' equal to the pre-update pull itself (it depends on the
    samples whose score it multiplies) moves the mean."""
    enum = enumeration(sibling=True)

    class Leaky(ScriptedBanditMAML):
        def start(self, key, task, eta):
            actions, _ = task
            return Learner(eta, MEANS[actions[0]]), (actions, jnp.zeros((), jnp.int32))

    leaky = enum._replace(scripted=Leaky(enum.scripted.problem))
    got = exact_means((MGSetting(1, 1.0),), leaky)[MGSetting(1, 1.0)]
    exact = exact_post_adaptation_gradient()
    assert float(jnp.linalg.norm(got - exact)) > 100 * TOL["atol"] * 3 ** 0.5


def test_one_recorded_lifetime_program_equals_make_mg_per_variant():
    """``experiments.brax_maml.maml_program`` (every variant replayed on one recorded
    lifetime) gives ``make_mg``'s untruncated estimate of each variant, sequence by sequence."""
    from metagrad.experiments.brax_maml import maml_program

    variants = {name: ScriptedBanditMAML(BanditMAML(**kw)) for name, kw in (
        ("raw", {}), ("first_order", {"first_order": True}), ("sibling", {"sibling": True}))}
    settings = [("raw", "none", 0.0), ("raw", "none", 0.5), ("raw", "dice", 1.0),
                ("first_order", "none", 0.0), ("sibling", "none", 1.0)]
    program = maml_program(variants["raw"], variants, settings)
    references = []
    for variant, hessian, c in settings:
        structure, values = mg_structure([MGSetting(1, c, hessian=hessian)], 2)
        references.append((make_mg_program(variants[variant], structure, mode="reverse"), values))

    @jax.jit
    def both(actions, sibling):
        task, key = (actions, sibling), jax.random.PRNGKey(0)
        ours = program.at(key, ETA, task)
        ref = jnp.stack([p.at_starts(key, ETA, task, jnp.zeros((1,), jnp.int32), v)[0][0]
                         for p, v in references])
        return ours, ref

    for a0, a1, s in ((0, 1, 2), (2, 2, 0), (1, 0, 1)):
        ours, ref = both(jnp.array([a0, a1]), jnp.asarray(s))
        np.testing.assert_allclose(ours, ref, **TOL)


class SampledBanditMAML(BanditMAML):
    """The bandit MAML with sampled pulls (for the FD path)."""

    def sample_task(self, key):
        return jnp.zeros(())

    def start(self, key, task, eta):
        return Learner(eta, jnp.zeros(())), task

    def collect(self, learner, env_state, key):
        return env_state, jax.random.categorical(key, jax.lax.stop_gradient(learner.theta))


def test_fd_through_the_lifetime_program_equals_make_fd():
    """The experiment's FD lifetimes (the estimators' compiled program without replays) give
    ``make_fd``'s directional differences with common random numbers, key for key."""
    from metagrad.estimators import make_fd
    from metagrad.experiments.brax_maml import fd_entries, maml_program

    problem = SampledBanditMAML()
    directions = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 2)))[0].T.astype(np.float32)
    program = maml_program(problem, {"raw": problem}, [("raw", "none", 0.0)])
    key, n, eps = jax.random.PRNGKey(7), 4, 0.1
    keys, etas = fd_entries(key, ETA, directions, eps, n)
    objective = jax.jit(jax.vmap(lambda k, e: program.lifetime(k, e, jnp.asarray(False))[1]))
    values = objective(keys.reshape((-1,) + keys.shape[3:]), etas.reshape(-1, 3)).reshape(n, 2, 2)
    ours = (values[..., 0] - values[..., 1]) / eps
    fd = make_fd(problem, eps, directions)
    ref = jax.jit(jax.vmap(lambda k: fd.estimate((), k, ETA)[0].grad[0] @ directions.T))(
        jax.random.split(key, n))
    np.testing.assert_allclose(ours, ref, atol=1e-4)
