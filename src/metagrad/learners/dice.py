"""DiCE's magic box (Foerster et al., 2018, "DiCE: The Infinitely Differentiable Monte Carlo
Estimator"): evaluates to 1 and differentiates to ``d x``, so a surrogate built on it has the
value and first derivative of the plain one while its derivatives through an inner update pick
up the Hessian term ``r grad log pi grad log pi^T``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

HESSIAN_MODES = ("none", "dice")


def magic_box(x: jax.Array) -> jax.Array:
    """``exp(x - stop_gradient(x))``: 1 in value, ``d x`` in derivative."""
    return jnp.exp(x - jax.lax.stop_gradient(x))


def check_hessian(hessian: str) -> None:
    if hessian not in HESSIAN_MODES:
        raise ValueError(f"hessian must be one of {HESSIAN_MODES}, got {hessian!r}")
