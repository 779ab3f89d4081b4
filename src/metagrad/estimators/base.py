"""The one interface every gradient estimator implements.

An estimator is built once from a problem and its settings by a ``make_*`` function and is a
pure function of ``(key, eta)``::

    estimator = make_mg(problem, settings)
    grads = estimator.estimate(key, eta)     # [S, D]: one ascent direction on J per setting

One call draws ONE sample of every setting; settings of one estimator share their random
samples (paired). ``settings`` describes each row for tables (estimator name, truncation
length, correction coefficient, meta-discount, ...). ``estimate`` can be ``jit``-ed and
``vmap``-ed over keys and eta points without knowing which estimator it is.

Sign convention (once, for the whole package): estimates are ascent directions on J(eta),
the expected mean reward per sample over a lifetime.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax


class GradientEstimator(NamedTuple):
    settings: tuple[dict, ...]                                # one description per output row
    estimate: Callable[[jax.Array, jax.Array], jax.Array]     # (key, eta[D]) -> [S, D]

    @property
    def num_settings(self) -> int:
        return len(self.settings)


def check_range(name: str, value: float, low: float, high: float, *, low_open=False) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``low (<|<=) value <= high``."""
    below = value <= low if low_open else value < low
    if below or value > high:
        bracket = "(" if low_open else "["
        raise ValueError(f"{name} must be in {bracket}{low}, {high}], got {value!r}")
