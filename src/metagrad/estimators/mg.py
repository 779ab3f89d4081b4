"""Meta-gradient (MG) estimators: truncation, sampling correction, DiCE (spec section 3).

For a window ``W`` of ``T`` consecutive steps (start uniform in ``{0, ..., L - T}``), the
surrogate of Vuorio et al. (2022) is::

    loss = -(1/(T B)) sum_{i in W} sum_b r_{i,b} (log pi_{theta_i}(a_{i,b})
                                                  + sum_{j in W, j < i} w(i, j) S_j)

with ``S_j = sum_b log pi_{theta_j}(a_{j,b})`` and ``w(i, j) = c * gamma_m^(i - j)``:
coefficient mode (``gamma_m = 1``), meta-discount mode (``c = 1``); ``c = 0`` is "naive".
The estimate is ``-grad_eta loss``. Because ``-grad loss = (1/(T B)) [sum_i dh_i +
sum_j dS_j v_j]`` with ``v_j = sum_{i > j} w(i, j) R_i``, every (c, gamma_m) is a cheap
reweighting of the same per-step derivatives (``lifetime_meta_terms``), so all settings run on
the same sampled lifetimes. ``hessian="dice"`` differentiates the inner update built on DiCE's
magic box (Foerster et al., 2018).

``make_mg_reverse`` is the literal surrogate differentiated in reverse mode: slower and O(L)
memory, kept as an independent implementation for tests and benchmarks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import jax
import jax.numpy as jnp
import numpy as np

from metagrad.estimators.base import GradientEstimator, check_range
from metagrad.learners.softmax_reinforce import HESSIAN_MODES
from metagrad.lifetime import MetaTerms, lifetime_keys, lifetime_meta_terms, window_mask


@dataclass(frozen=True)
class MGSetting:
    """One MG estimator. ``truncation_length`` = differentiated updates = window length - 1."""

    truncation_length: int
    coefficient: float = 1.0      # c: weight of the sampling correction
    meta_discount: float = 1.0    # gamma_m: w(i, j) = c * gamma_m ** (i - j)
    hessian: str = "none"         # "none" or "dice"

    @property
    def window_length(self) -> int:
        return self.truncation_length + 1

    def validate(self, lifetime_length: int) -> None:
        check_range("truncation_length", self.truncation_length, 0, lifetime_length - 1)
        check_range("coefficient", self.coefficient, 0.0, 1.0)
        check_range("meta_discount", self.meta_discount, 0.0, 1.0)
        if self.hessian not in HESSIAN_MODES:
            raise ValueError(f"hessian must be one of {HESSIAN_MODES}, got {self.hessian!r}")

    def describe(self, lifetime_length: int) -> dict:
        if self.hessian == "dice":
            name = "dice" if self.coefficient == 0 else "dice_correction"
        elif self.coefficient == 0 or self.meta_discount == 0 or self.truncation_length == 0:
            name = "naive"
        else:
            name = "mg"
        return {"estimator": name, **asdict(self),
                "untruncated": self.window_length == lifetime_length}


def correction_weights(meta_discounts, lifetime_length: int) -> np.ndarray:
    """``[G, L, L]`` with ``[g, i, j] = gamma_g ** (i - j)`` for ``i > j`` and 0 otherwise."""
    steps = np.arange(lifetime_length)
    lag = steps[:, None] - steps[None, :]
    gammas = np.asarray(meta_discounts, dtype=np.float64)[:, None, None]
    weights = np.where(lag > 0, gammas ** np.maximum(lag, 1), 0.0)
    return weights.astype(np.float32)


def combine_meta_terms(terms: MetaTerms, weights: jax.Array, hessian_index, window_index,
                       weight_index, coefficients, window_lengths, batch_size) -> jax.Array:
    """Ascent estimates ``[S, D]`` of S settings from one lifetime's ``MetaTerms``.

    Setting s uses Hessian mode ``hessian_index[s]``, window ``window_index[s]`` (of length
    ``window_lengths[s]``), correction weights ``coefficients[s] * weights[weight_index[s]]``.
    """
    masked_reward = terms.total_reward[None, :] * terms.mask                    # [W, L]
    suffix = jnp.einsum("gij,wi->gwj", weights, masked_reward)                  # [G, W, L]
    v = coefficients[:, None] * suffix[weight_index, window_index]              # [S, L]
    dh = terms.dh[hessian_index, window_index]                                  # [S, L, D]
    dS = terms.dS[hessian_index, window_index]
    total = dh.sum(axis=1) + jnp.einsum("sld,sl->sd", dS, v)
    return total / (window_lengths[:, None] * batch_size)


def sample_window_starts(key, window_lengths, lifetime_length):
    """Uniform starts in ``{0, ..., L - T_w}``, driven by ONE uniform so windows are paired."""
    u = jax.random.uniform(key)
    return jnp.floor(u * (lifetime_length - window_lengths + 1)).astype(jnp.int32)


def average_over_lifetimes(problem, one_lifetime, key, eta, lifetimes_per_sample, *args):
    """One sample: draw a task, average ``one_lifetime(key, eta, task, *args)`` over lifetimes."""
    task_key, lives_key = jax.random.split(key)
    task = problem.sample_task(task_key)
    keys = jax.random.split(lives_key, lifetimes_per_sample)
    in_axes = (0, None, None) + (None,) * len(args)
    return jax.vmap(one_lifetime, in_axes=in_axes)(keys, eta, task, *args).mean(axis=0)


def make_mg(problem, settings, lifetimes_per_sample: int = 1) -> GradientEstimator:
    """All ``settings`` (a sequence of ``MGSetting``) estimated from the same lifetimes.

    One sample draws one task and averages the estimate of ``lifetimes_per_sample`` independent
    lifetimes on it (the paper uses 2 in its frontier experiments).
    """
    settings = tuple(settings)
    if not settings:
        raise ValueError("settings must name at least one MGSetting")
    if int(lifetimes_per_sample) < 1:
        raise ValueError(f"lifetimes_per_sample must be >= 1, got {lifetimes_per_sample!r}")
    L = problem.lifetime_length
    for setting in settings:
        setting.validate(L)
    window_values = sorted({s.window_length for s in settings})
    hessians = tuple(h for h in HESSIAN_MODES if any(s.hessian == h for s in settings))
    discounts = sorted({s.meta_discount for s in settings})
    weights = jnp.asarray(correction_weights(discounts, L))
    window_lengths = jnp.asarray(window_values, jnp.int32)
    index = dict(
        hessian_index=jnp.asarray([hessians.index(s.hessian) for s in settings]),
        window_index=jnp.asarray([window_values.index(s.window_length) for s in settings]),
        weight_index=jnp.asarray([discounts.index(s.meta_discount) for s in settings]),
        coefficients=jnp.asarray([s.coefficient for s in settings], jnp.float32),
        window_lengths=jnp.asarray([s.window_length for s in settings], jnp.float32),
    )

    def one_lifetime(key, eta, task):
        start_key, life_key = jax.random.split(key)
        starts = sample_window_starts(start_key, window_lengths, L)
        terms = lifetime_meta_terms(problem, eta, task, life_key, starts, window_lengths,
                                    hessians)
        return combine_meta_terms(terms, weights, batch_size=problem.batch_size, **index)

    def estimate(key, eta):
        return average_over_lifetimes(problem, one_lifetime, key, eta, lifetimes_per_sample)

    return GradientEstimator(tuple(s.describe(L) for s in settings), estimate)


def mg_surrogate_loss(problem, setting: MGSetting, eta, task, key, window_start):
    """The spec's MG surrogate for one lifetime, written out literally (reverse-mode path)."""
    L, T = problem.lifetime_length, setting.window_length
    env_key, step_keys = lifetime_keys(key, L)
    theta, env_state = problem.start(env_key, task)
    mask = window_mask(jnp.reshape(window_start, (1,)), jnp.array([T]), L)[0]

    def body(carry, inputs):
        theta, env_state = carry
        step, step_key, in_window = inputs
        theta = jax.tree.map(
            lambda x: jnp.where(step == window_start, jax.lax.stop_gradient(x), x), theta)
        eta_step = jnp.where(in_window, eta, jax.lax.stop_gradient(eta))
        env_state, batch = problem.collect(theta, env_state, step_key)
        S, h = problem.score_terms(theta, batch)
        theta = problem.update(theta, batch, eta_step, step, setting.hessian)
        return (theta, env_state), (S, h, problem.total_reward(batch))

    _, (S, h, R) = jax.lax.scan(body, (theta, env_state), (jnp.arange(L), step_keys, mask))
    w = setting.coefficient * jnp.asarray(correction_weights([setting.meta_discount], L)[0])
    m = mask.astype(S.dtype)
    correction = R * (w @ (m * S))                     # R_i sum_{j<i} w(i,j) S_j
    return -jnp.sum(m * (h + correction)) / (T * problem.batch_size)


def make_mg_reverse(problem, setting: MGSetting, lifetimes_per_sample: int = 1):
    """One MG setting by reverse-mode ``jax.grad`` of ``mg_surrogate_loss``.

    Uses the same keys as ``make_mg``: on the same key both give the same number.
    """
    L = problem.lifetime_length
    setting.validate(L)
    window_length = jnp.asarray([setting.window_length], jnp.int32)

    def one_lifetime(key, eta, task):
        start_key, life_key = jax.random.split(key)
        start = sample_window_starts(start_key, window_length, L)[0]
        def loss(e):
            return mg_surrogate_loss(problem, setting, e, task, life_key, start)

        return -jax.grad(loss)(eta)

    def estimate(key, eta):
        return average_over_lifetimes(problem, one_lifetime, key, eta, lifetimes_per_sample)[None]

    return GradientEstimator((setting.describe(L),), estimate)


def make_mg_parametric(problem, hessian: str = "none", lifetimes_per_sample: int = 1):
    """One MG setting whose truncation, coefficient and meta-discount are traced arguments.

    ``estimate(key, eta, truncation_length, coefficient, meta_discount) -> [D]``: ``vmap`` it
    over settings (e.g. one meta-training run per setting) without recompiling. Same numbers
    as ``make_mg`` with that single setting on the same key. Arguments are not range-checked
    inside the trace: validate them with ``MGSetting.validate`` first.
    """
    if hessian not in HESSIAN_MODES:
        raise ValueError(f"hessian must be one of {HESSIAN_MODES}, got {hessian!r}")
    L = problem.lifetime_length
    lag = jnp.arange(L)[:, None] - jnp.arange(L)[None, :]
    zero = jnp.zeros(1, jnp.int32)

    def one_lifetime(key, eta, task, window_length, coefficient, meta_discount):
        start_key, life_key = jax.random.split(key)
        lengths = jnp.reshape(window_length, (1,)).astype(jnp.int32)
        starts = sample_window_starts(start_key, lengths, L)
        terms = lifetime_meta_terms(problem, eta, task, life_key, starts, lengths, (hessian,))
        weights = jnp.where(lag > 0, meta_discount ** jnp.maximum(lag, 1), 0.0)[None]
        return combine_meta_terms(
            terms, weights, zero, zero, zero, jnp.reshape(coefficient, (1,)),
            lengths.astype(jnp.float32), problem.batch_size)[0]

    def estimate(key, eta, truncation_length, coefficient, meta_discount):
        return average_over_lifetimes(problem, one_lifetime, key, eta, lifetimes_per_sample,
                                      truncation_length + 1, coefficient, meta_discount)

    return estimate
