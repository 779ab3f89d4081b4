"""Meta-gradient (MG) estimators: truncation, sampling correction, DiCE (spec section 3).

For a window ``W`` of ``T`` consecutive steps (start uniform in ``{0, ..., L - T}``), the
surrogate of Vuorio et al. (2022), written with the problem's ``OuterTerms``, is::

    loss = -(1/T) sum_{i in W} ( direct_i + sum_{j in W, j < i} w(i, j) (credit_i - baseline_j) S_j )

(bandit: ``direct_i = (1/B) sum_b r_{i,b} log pi(a_{i,b})``, ``credit_i = R_i / B``,
``S_j = score_j = sum_b log pi_{theta_j}(a_{j,b})``, baseline 0) with ``w(i, j) = c *
gamma_m^(i - j)``: coefficient mode (``gamma_m = 1``), meta-discount mode (``c = 1``);
``c = 0`` is "naive". The estimate is ``-grad_eta loss``::

    estimate = (1/T) [ sum_i d direct_i + sum_j d S_j v_j ],  v_j = sum_{i > j} w(i, j) (credit_i - baseline_j)

so every (c, gamma_m, window) is a reweighting of one lifetime's terms, and all settings and
both Hessian modes run on the same sampled lifetimes (paired). ``hessian="dice"``
differentiates the inner update built on DiCE's magic box (Foerster et al., 2018).

Two modes compute the same numbers (tests prove it to round-off):

- ``forward``: D tangents of the learner per step (``lifetime.forward_meta_terms``); memory
  flat in L; for small eta.
- ``reverse``: the lifetime is recorded once, then each window is a differentiable replay
  (``lifetime.replay_window``) pulled back with one cotangent per setting; for large eta.

``mode="auto"`` picks forward for ``D <= FORWARD_MODE_MAX_META_PARAMS`` and reverse above.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from metagrad.estimators.base import Estimate, Estimator, check_range, stateless
from metagrad.learners.dice import HESSIAN_MODES, check_hessian
from metagrad.lifetime import (forward_meta_terms, record_lifetime, replay_window,
                               window_mask)
from metagrad.names import mg_code

MODES = ("auto", "forward", "reverse")
# forward mode carries D tangents of the learner per window and Hessian mode; above this D
# the reverse replay is cheaper (measured in benchmarks/)
FORWARD_MODE_MAX_META_PARAMS = 16


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
        check_hessian(self.hessian)

    def describe(self, lifetime_length: int) -> dict:
        code = mg_code(self.coefficient, self.meta_discount, self.truncation_length,
                       self.hessian)
        return {"estimator": code, **asdict(self),
                "untruncated": self.window_length == lifetime_length}


def choose_mode(mode: str, num_meta_params: int) -> str:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if mode == "auto":
        return "forward" if num_meta_params <= FORWARD_MODE_MAX_META_PARAMS else "reverse"
    return mode


class MGStructure(NamedTuple):
    """The static part of S settings: Hessian modes, and which Hessian mode, window and
    meta-discount each setting uses; ``replay_lengths[w]`` bounds window w (reverse mode)."""

    hessians: tuple[str, ...]
    hessian_index: tuple[int, ...]
    window_index: tuple[int, ...]
    discount_index: tuple[int, ...]
    replay_lengths: tuple[int, ...]


class MGValues(NamedTuple):
    """The traceable part: window lengths ``[W]``, meta-discounts ``[G]``, coefficients ``[S]``."""

    window_lengths: jax.Array
    meta_discounts: jax.Array
    coefficients: jax.Array


def mg_structure(settings, lifetime_length: int) -> tuple[MGStructure, MGValues]:
    """Structure and (constant) values of validated settings; windows are the distinct
    window lengths, so settings with one truncation length share one window."""
    for setting in settings:
        setting.validate(lifetime_length)
    windows = sorted({s.window_length for s in settings})
    hessians = tuple(h for h in HESSIAN_MODES if any(s.hessian == h for s in settings))
    discounts = sorted({s.meta_discount for s in settings})
    structure = MGStructure(
        hessians=hessians,
        hessian_index=tuple(hessians.index(s.hessian) for s in settings),
        window_index=tuple(windows.index(s.window_length) for s in settings),
        discount_index=tuple(discounts.index(s.meta_discount) for s in settings),
        replay_lengths=tuple(windows))
    values = MGValues(jnp.asarray(windows, jnp.int32), jnp.asarray(discounts, jnp.float32),
                      jnp.asarray([s.coefficient for s in settings], jnp.float32))
    return structure, values


def traced_structure(hessian: str, lifetime_length: int) -> MGStructure:
    """One setting whose window length, coefficient and meta-discount are traced ``MGValues``
    (e.g. meta-training runs ``vmap``-ed over settings without recompiling)."""
    check_hessian(hessian)
    return MGStructure((hessian,), (0,), (0,), (0,), (lifetime_length,))


def single_values(window_length, coefficient, meta_discount) -> MGValues:
    """``MGValues`` of one setting from (possibly traced) scalars; not range-checked."""
    return MGValues(jnp.reshape(window_length, (1,)).astype(jnp.int32),
                    jnp.reshape(meta_discount, (1,)).astype(jnp.float32),
                    jnp.reshape(coefficient, (1,)).astype(jnp.float32))


def correction_weights(meta_discounts: jax.Array, lifetime_length: int) -> jax.Array:
    """``[G, L, L]`` with ``[g, i, j] = gamma_g ** (i - j)`` for ``i > j`` and 0 otherwise."""
    steps = jnp.arange(lifetime_length)
    lag = steps[:, None] - steps[None, :]
    gammas = meta_discounts[:, None, None]
    return jnp.where(lag > 0, gammas ** jnp.maximum(lag, 1), 0.0)


def correction_multipliers(credit, baseline, mask, weights, structure: MGStructure,
                           values: MGValues) -> jax.Array:
    """``v [S, L]``: ``v_s[j] = c_s sum_{i > j, i in W_s} gamma_s^(i-j) (credit_i - b_j(i))``
    with ``b_j(i) = baseline[j]`` (per-step baselines ``[L]``) or ``baseline[j, i - j]``
    (per-offset baselines ``[L, L]``)."""
    g = jnp.asarray(structure.discount_index)
    w = jnp.asarray(structure.window_index)
    m = mask.astype(credit.dtype)
    if baseline.ndim == 2:
        L = credit.shape[0]
        offsets = jnp.clip(jnp.arange(L)[None, :] - jnp.arange(L)[:, None], 0, L - 1)
        per_pair = jnp.take_along_axis(baseline, offsets, axis=1)               # [j, i]
        credit_part = jnp.einsum("gij,wi->gwj", weights, m * credit[None, :])
        baseline_part = jnp.einsum("gij,wi,ji->gwj", weights, m, per_pair)
        v = credit_part[g, w] - baseline_part[g, w]
    else:
        stacked = jnp.stack([m * credit[None, :], m])                           # [2, W, L]
        suffix = jnp.einsum("gij,awi->agwj", weights, stacked)                  # [2, G, W, L]
        v = suffix[0, g, w] - baseline[None, :] * suffix[1, g, w]
    return values.coefficients[:, None] * v


def sample_window_starts(key, window_lengths, lifetime_length):
    """Uniform starts in ``{0, ..., L - T_w}``, driven by ONE uniform so windows are paired."""
    u = jax.random.uniform(key)
    return jnp.floor(u * (lifetime_length - window_lengths + 1)).astype(jnp.int32)


class MGProgram(NamedTuple):
    """The compiled-once MG computation for the settings of one ``MGStructure``.

    ``at_starts(key, flat_eta, task, starts [W], values) -> (grads [S, D], objectives [S])``:
    one lifetime with given window starts (exact enumeration calls it for every start);
    ``sample(key, eta, values) -> Estimate``: one sample (one task, random starts, averaged
    over ``lifetimes_per_sample`` lifetimes).
    """

    mode: str
    at_starts: Callable
    sample: Callable


def make_mg_program(problem, structure: MGStructure, *, mode: str = "auto",
                    lifetimes_per_sample: int = 1) -> MGProgram:
    """The MG program for settings of ``structure`` (forward or reverse mode, see above).

    One sample draws one task and averages the estimates of ``lifetimes_per_sample``
    independent lifetimes on it (the paper uses 2 in its frontier experiments).
    """
    if int(lifetimes_per_sample) < 1:
        raise ValueError(f"lifetimes_per_sample must be >= 1, got {lifetimes_per_sample!r}")
    L = problem.lifetime_length
    flat_template, unravel = ravel_pytree(problem.eta_template())
    mode = choose_mode(mode, flat_template.size)
    h_index = jnp.asarray(structure.hessian_index)
    w_index = jnp.asarray(structure.window_index)
    groups: dict[tuple[int, int], list[int]] = {}
    for s, key in enumerate(zip(structure.hessian_index, structure.window_index)):
        groups.setdefault(key, []).append(s)

    def forward_lifetime(key, flat_eta, task, starts, values, weights):
        terms = forward_meta_terms(problem, flat_eta, unravel, task, key, starts,
                                   values.window_lengths, structure.hessians)
        v = correction_multipliers(terms.credit, terms.baseline, terms.mask, weights,
                                   structure, values)
        d_direct = terms.d_direct[h_index, w_index]                             # [S, L, D]
        d_score = terms.d_score[h_index, w_index]
        total = d_direct.sum(axis=1) + jnp.einsum("sld,sl->sd", d_score, v)
        return total, terms.objective, terms.mask

    def reverse_lifetime(key, flat_eta, task, starts, values, weights):
        record = record_lifetime(problem, unravel(flat_eta), task, key, starts)
        mask = window_mask(starts, values.window_lengths, L)
        v = correction_multipliers(record.credit, record.baseline, mask, weights, structure,
                                   values)
        total = jnp.zeros((len(structure.hessian_index), flat_eta.size), flat_eta.dtype)
        for (h, w), members in groups.items():
            length = structure.replay_lengths[w]

            def replay(e, h=h, w=w, length=length):
                return replay_window(problem, e, unravel, task, key, record, w, starts[w],
                                     length, structure.hessians[h])

            _, pullback = jax.vjp(replay, flat_eta)
            offsets = jnp.arange(length)
            in_window = (offsets < values.window_lengths[w]).astype(flat_eta.dtype)
            steps = jnp.minimum(starts[w] + offsets, L - 1)
            members = jnp.asarray(members)
            cotangents = (jnp.broadcast_to(in_window, (members.size, length)),
                          v[members][:, steps] * in_window[None, :])
            (grads,) = jax.vmap(pullback)(cotangents)
            total = total.at[members].set(grads)
        return total, record.objective, mask

    lifetime = forward_lifetime if mode == "forward" else reverse_lifetime

    def at_starts(key, flat_eta, task, starts, values):
        weights = correction_weights(values.meta_discounts, L)
        total, objective, mask = lifetime(key, flat_eta, task, starts, values, weights)
        lengths = values.window_lengths[w_index].astype(total.dtype)             # [S]
        objectives = (mask[w_index] * objective[None, :]).sum(axis=1) / lengths
        return total / lengths[:, None], objectives

    def one_lifetime(key, flat_eta, task, values):
        start_key, life_key = jax.random.split(key)
        starts = sample_window_starts(start_key, values.window_lengths, L)
        return at_starts(life_key, flat_eta, task, starts, values)

    def sample(key, eta, values: MGValues) -> Estimate:
        flat_eta = ravel_pytree(eta)[0]
        task_key, lives_key = jax.random.split(key)
        task = problem.sample_task(task_key)
        keys = jax.random.split(lives_key, lifetimes_per_sample)
        grads, objectives = jax.vmap(one_lifetime, in_axes=(0, None, None, None))(
            keys, flat_eta, task, values)
        return Estimate(jax.vmap(unravel)(grads.mean(axis=0)), objectives.mean(axis=0))

    return MGProgram(mode, at_starts, sample)


def make_mg(problem, settings, lifetimes_per_sample: int = 1, mode: str = "auto") -> Estimator:
    """All ``settings`` (a sequence of ``MGSetting``) estimated from the same lifetimes."""
    settings = tuple(settings)
    if not settings:
        raise ValueError("settings must name at least one MGSetting")
    L = problem.lifetime_length
    structure, values = mg_structure(settings, L)
    program = make_mg_program(problem, structure, mode=mode,
                              lifetimes_per_sample=lifetimes_per_sample)
    rows = tuple({**s.describe(L), "mode": program.mode} for s in settings)
    return stateless(rows, lambda key, eta: program.sample(key, eta, values))
