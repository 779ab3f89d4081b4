"""Probe directions: orthonormal, fixed by the key, the identity for small eta, and the
(D / K) rescaling of the variance trace is unbiased for random probes."""

import jax
import numpy as np
import pytest

from metagrad.estimators.probes import probe_directions, project


def test_identity_when_probes_cover_eta():
    np.testing.assert_array_equal(probe_directions(jax.random.PRNGKey(0), 3, None), np.eye(3))
    np.testing.assert_array_equal(probe_directions(jax.random.PRNGKey(0), 3, 5), np.eye(3))


def test_orthonormal_and_fixed_by_the_key():
    a = probe_directions(jax.random.PRNGKey(1), 50, 7)
    np.testing.assert_allclose(a @ a.T, np.eye(7), atol=1e-5)
    np.testing.assert_array_equal(a, probe_directions(jax.random.PRNGKey(1), 50, 7))
    assert np.abs(a - probe_directions(jax.random.PRNGKey(2), 50, 7)).max() > 0.1


def test_rescaled_probe_variance_estimates_the_trace():
    """E_U[(D/K) sum_k u_k^T S u_k] = tr S for random orthonormal U; 400 probe draws of a fixed
    anisotropic covariance: the mean is within 4.5 s.e. of the trace."""
    D, K = 20, 4
    rng = np.random.default_rng(0)
    A = rng.normal(size=(D, D)) * np.linspace(0.1, 3.0, D)
    S = A @ A.T
    values = []
    for i in range(400):
        U = probe_directions(jax.random.PRNGKey(i), D, K).astype(np.float64)
        values.append(D / K * np.trace(U @ S @ U.T))
    values = np.array(values)
    assert abs(values.mean() - np.trace(S)) < 4.5 * values.std(ddof=1) / np.sqrt(len(values))


def test_project_and_bad_size():
    U = probe_directions(jax.random.PRNGKey(1), 5, 2)
    g = np.arange(10.0).reshape(2, 5)
    np.testing.assert_allclose(np.asarray(project(g, U)), g @ U.T, rtol=1e-6)
    with pytest.raises(ValueError, match="num_probes"):
        probe_directions(jax.random.PRNGKey(0), 5, 0)
