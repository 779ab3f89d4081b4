"""The frontier adapter: selection by what a setting is, names, reference-limited sizes, heavy tails."""

from __future__ import annotations

import pytest

from audit_synthetic import CFG, synthetic_frontier
from metagrad.audit import TableStore
from metagrad.audit.frontier_data import frontier

LEGACY = lambda c, g, t: "naive" if c == 0 else "mg"  # noqa: E731  (the code before "correction")


@pytest.mark.parametrize("codes", [None, LEGACY], ids=["correction", "legacy_mg"])
def test_selection_reads_both_estimator_codes(codes):
    kw = {"mg_estimator": codes} if codes else {}
    f = frontier(TableStore(frames=synthetic_frontier(lambda t, c: 1.0 + c, n=16, batches=2, **kw)), CFG)
    assert f.untruncated_c1 == "mg_k79_c1_g1" and f.naive == "mg_k1_c0_g1"
    assert f.label(f.untruncated_c1) == "sampling correction (c=1, trunc none)"
    assert f.label(f.naive) == "naive (c=0, trunc 1)"


def test_reference_limited_test_is_sized_in_reference_samples():
    # reference per-sample std 3 with 4 n samples vs estimator variance 0.02 with n: the reference
    # carries ~99 % of the noise of ĝ − g*, so the projection must scale the reference's N
    noisy = frontier(TableStore(frames=synthetic_frontier(lambda t, c: 0.02, n=64, batches=4, ref_noise=3.0)), CFG)
    t = noisy.level_test(noisy.untruncated_c1, "bias_corrected", 0.0, "less", "bias")
    assert t.info["reference_share"] > 0.9
    assert t.n_now == 4 * 64 * 4 and "FD reference" in t.unit
    quiet = frontier(TableStore(frames=synthetic_frontier(lambda t, c: 2.0, n=64, batches=4, ref_noise=0.01)), CFG)
    t = quiet.level_test(quiet.untruncated_c1, "bias_corrected", 0.0, "less", "bias")
    assert t.info["reference_share"] < 0.1
    assert t.n_now == 64 * 4 and t.unit == "samples per point"


def test_heavy_tail_decides_on_the_median():
    # c = 1 untruncated has 400x the variance at one of 10 points: that point carries the grid
    # mean of the variance difference (c=1 − c=0.5), and the test moves to the median over points
    corner = lambda p, t, c: 400.0 if (p == 9 and c == 1.0) else 1.0  # noqa: E731
    frames = synthetic_frontier(lambda t, c: 1.0 + c, n=64, batches=8, points=10, point_variance=corner)
    f = frontier(TableStore(frames=frames), CFG)
    heavy = f.test("mg_k79_c1_g1", "mg_k79_c0.5_g1", "variance", "greater", "v")
    d = f.diff("mg_k79_c1_g1", "mg_k79_c0.5_g1", "variance")
    assert heavy.info["heavy_tail_share"] > 0.9 and heavy.label == "median over points of v"
    assert heavy.estimate == d["median_difference"] and heavy.se == d["median_boot_se"]
    assert heavy.estimate == pytest.approx(0.5, rel=0.1)            # the typical point's difference
    plain = f.test("mg_k79_c0.5_g1", "mg_k79_c0_g1", "variance", "greater", "v")
    assert "heavy_tail_share" not in plain.info and plain.estimate == f.diff(
        "mg_k79_c0.5_g1", "mg_k79_c0_g1", "variance")["difference"]
