"""C12: landscape bands, and the argmax set from paired differences over shared bandits."""

from __future__ import annotations

import numpy as np

from audit_synthetic import landscape, run_claim
from metagrad.audit.claims.landscape import near_max

PEAK = lambda a, b: 0.03 + 0.23 * np.exp(-((a - 2.5) ** 2 + (b - 3.5) ** 2) / 8)  # noqa: E731


def test_c12_landscape_bands():
    land = landscape(PEAK)
    assert run_claim("C12", {"landscape/landscape": land}).verdict == "pass"
    low = land.assign(mean_reward=land["mean_reward"] * 0.5)
    assert run_claim("C12", {"landscape/landscape": low}).verdict == "fail"


def _ridge(a, b):
    # the max at (2.5, 3.5); every other point 0.01 lower or more
    return 0.26 - 0.01 * (abs(a - 2.5) + abs(b - 3.5)) - (0.0 if (a, b) == (2.5, 3.5) else 0.01)


GRID = np.arange(-1.5, 7.0, 1.0)


def test_near_max_is_paired_over_seeds():
    # each seed's bandits shift every point by the same offset (std 0.05, far above the 0.01 gaps);
    # an unpaired comparison with s.e. that include it (0.03) would call most points tied
    land = landscape(_ridge, grid=GRID, seeds=8, offset=0.05, noise=0.001, se=0.03)
    near, how = near_max(land, 0.05)
    assert "paired over 8 (seed) batches" in how
    assert near[near].index.tolist() == [(2.5, 3.5)]


def test_near_max_uses_iterations_when_present():
    # two seeds alone (t with 1 df) cannot separate the points; 2 x 10 (seed, iteration) batches can
    land = landscape(_ridge, grid=GRID, seeds=2, iterations=10, offset=0.05, noise=0.01, se=0.03)
    near, how = near_max(land, 0.05)
    assert "paired over 20 (seed, iteration) batches" in how
    assert near[near].index.tolist() == [(2.5, 3.5)]
    seeds_only = near_max(land.drop(columns="iteration").groupby(["eta_0", "eta_1", "seed"], as_index=False).mean(), 0.05)[0]
    assert seeds_only.sum() > 1
