"""Fixed probe directions for large eta (ours): tables store each estimate's projections on K
orthonormal directions drawn once from the seed, and FD runs along the same directions.

For random orthonormal probes ``U [K, D]``, ``E_U[sum_k Var(u_k^T g)] = (K / D) tr Var(g)``,
so the variance trace is estimated as ``(D / K) sum_k var_k`` (recorded in the tables as
``num_meta_params`` and ``num_probes``; captions say so). With ``K >= D`` the probes are the
coordinates and nothing is rescaled.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def probe_directions(key: jax.Array, num_meta_params: int, num_probes: int | None) -> np.ndarray:
    """``[K, D]`` orthonormal rows: the identity when ``num_probes`` is None or ``>= D``,
    else the Q factor of a Gaussian ``[D, K]`` matrix (uniform on the Stiefel manifold up to
    signs, fixed by the key)."""
    D = int(num_meta_params)
    if num_probes is None or int(num_probes) >= D:
        return np.eye(D, dtype=np.float32)
    if int(num_probes) < 1:
        raise ValueError(f"num_probes must be an integer >= 1, got {num_probes!r}")
    gaussian = np.asarray(jax.random.normal(key, (D, int(num_probes))), np.float64)
    q, r = np.linalg.qr(gaussian)
    q = q * np.sign(np.diag(r))[None, :]
    return q.T.astype(np.float32)


def project(flat_grads: jax.Array, probes: jax.Array) -> jax.Array:
    """``[..., K]`` projections of flat estimates ``[..., D]`` on the probes ``[K, D]``."""
    return flat_grads @ jnp.asarray(probes).T
