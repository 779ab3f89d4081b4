"""Frontier claims (C1-C7) on synthetic tables whose truth is known."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy import stats

from audit_synthetic import CFG, run_claim, synthetic_frontier
from metagrad.audit import CLAIMS, TableStore, evaluate_claims
from metagrad.audit.run import CSV_COLUMNS


def test_c2_variance_rising_with_c_passes():
    res = run_claim("C2", synthetic_frontier(lambda t, c: 1.0 + 2.0 * c))
    assert res.verdict == "pass", res.detail
    assert res.tests["result"].eq("holds").all()
    assert res.row()["claim"] == "C2" and set(res.row()) == set(CSV_COLUMNS)


def test_c2_reversed_fails():
    res = run_claim("C2", synthetic_frontier(lambda t, c: 3.0 - 2.0 * c))
    assert res.verdict == "fail", res.detail
    assert "Reversed" in res.detail


def test_c2_tiny_samples_inconclusive_with_sample_size():
    # every estimate on the claimed side (seed 0), none decided with 4 x 3 samples per point
    res = run_claim("C2", synthetic_frontier(lambda t, c: 1.0 + 1.0 * c, n=4, batches=3, shared=False))
    assert res.verdict == "inconclusive", res.detail
    m = re.search(r"Would be decided at about ([\d,]+) samples per point \(now 12; .*smallest effect of "
                  r"interest ([\d.e-]+), measured se ([\d.e-]+), Holm level ([\d.e-]+), 80% power", res.detail)
    need, sesoi, se, level = int(m[1].replace(",", "")), *map(float, m.groups()[1:])
    # the printed numbers reproduce the normal-quantile formula (to their 3 printed digits)
    assert need == pytest.approx(12 * ((stats.norm.isf(level) + stats.norm.isf(0.2)) * se / sesoi) ** 2, rel=0.02)
    assert need > 12


def test_c1_and_c3_known_bias():
    # untruncated c = 1 unbiased; bias falls with the window at c > 0; naive biased
    frames = synthetic_frontier(lambda t, c: 1.0 + c,
                                bias=lambda t, c: 0.0 if (t == 79 and c == 1) else 0.05 * (1 - c * t / 79) + 0.01,
                                n=1024, batches=8)
    by = {r.claim: r for r in evaluate_claims(TableStore(frames=frames), CFG,
                                              claims=[c for c in CLAIMS if c.id in ("C1", "C3")], findings=False)}
    assert by["C1"].verdict == "pass", by["C1"].detail
    assert by["C1"].ci_low <= 0 <= by["C1"].ci_high
    assert by["C3"].verdict == "pass", by["C3"].detail


# C6 as reworded (spec section 8): unbiased ES, variance falling with the window, above every MG
# setting at the truncated windows, below untruncated c = 1 without truncation
MG_VARIANCE = lambda t, c: 0.01 + c * t / 10   # noqa: E731  (c = 1 untruncated: 7.9)
ES_GOOD = {1: 30.0, 20: 12.0, 79: 5.0}


def _c6(es, mg=MG_VARIANCE):
    # naive's bias 0.2 sets δ = 0.02, far above the ES bias noise (≈ 0.004)
    return run_claim("C6", synthetic_frontier(mg, bias=lambda t, c: 0.2 * (1 - c * t / 79), es=es, n=256, batches=8))


def test_c6_reworded_passes():
    res = _c6(ES_GOOD)
    assert res.verdict == "pass", res.detail
    labels = " ".join(res.tests["test"])
    # every c at each truncated window, untruncated c = 1 only, bias at every window
    assert labels.count("variance(ES (trunc 20)) − variance(") == 3
    assert "variance(ES (trunc none)) − variance(sampling correction (c=1, trunc none))" in labels
    assert sum(t.startswith("bias(ES") for t in res.tests["test"]) == 3


def test_c6_fails_when_untruncated_es_exceeds_c1():
    # the earlier wording ("exceeds the untruncated c = 1 variance") would pass this one
    res = _c6({1: 30.0, 20: 12.0, 79: 9.0})
    assert res.verdict == "fail" and "trunc none" in res.detail, res.detail


def test_c6_fails_when_es_is_below_mg_at_a_truncated_window():
    res = _c6({1: 30.0, 20: 1.5, 79: 1.0}, mg=lambda t, c: 0.01 + c * min(t, 20) / 10)
    assert res.verdict == "fail", res.detail
    assert "variance(ES (trunc 20)) − variance(sampling correction (c=1, trunc 20))" in res.detail


def test_c4_heavy_tailed_dice_variance_is_decided_on_the_median():
    """DiCE's grid-mean variance set by one corner point (as in the default profile, spec section
    4): the audit says so and tests the median over points, where DiCE is 2x c = 1 everywhere."""
    dice = lambda p: 1e6 if p == 9 else 4.0  # noqa: E731   (c = 1 untruncated: variance 2)
    frames = synthetic_frontier(lambda t, c: 1.0 + c, n=64, batches=8, points=10, dice_variance=dice)
    res = run_claim("C4", frames)
    var = res.tests[res.tests["test"].str.contains("variance")].iloc[0]
    assert var["test"].startswith("median over points of") and var["heavy_tail_share"] > 0.9
    assert var["estimate"] == pytest.approx(2.0, rel=0.3)          # the typical point, not 1e5
    assert abs(var["grid_mean"]) > 1e4
    assert var["result"] == "holds", res.tests
    assert any(n.startswith("Heavy tail:") for n in res.notes)
    assert np.isfinite(res.value)
    # without the corner the grid mean itself is tested
    plain = run_claim("C4", synthetic_frontier(lambda t, c: 1.0 + c, n=64, batches=8, points=10,
                                              dice_variance=lambda p: 4.0))
    assert not plain.tests["test"].str.startswith("median").any()
    assert not any(n.startswith("Heavy tail:") for n in plain.notes)
