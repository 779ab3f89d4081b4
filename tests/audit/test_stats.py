"""The statistics engine: Holm levels, intervals at the deciding level, projections, regime warnings."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from metagrad.audit.settings import AuditSettings
from metagrad.audit.stats import Test, dominant_point, evaluate_family, holm, projected_sample_size, family_table
from metagrad.audit.verdict import finish

S = AuditSettings()


def test_holm_step_down_and_decided_levels():
    h = holm([0.01, 0.04, 0.03], 0.05)
    assert h.rejected.tolist() == [True, False, False]   # 0.01 <= 0.05/3; 0.03 > 0.05/2 stops
    assert np.allclose(h.level, [0.05 / 3, 0.05, 0.05 / 2])
    # 0.04 is never tested at 0.05: the step-down stopped at 0.03's level
    assert np.allclose(h.decided, [0.05 / 3, 0.05 / 2, 0.05 / 2])
    assert holm([0.001, 0.02], 0.05).rejected.all()


def _random_family(rng, m):
    return [Test(f"t{i}", float(rng.normal(0, 3)), float(rng.uniform(0.5, 2)), float(rng.normal(0, 1)),
                 rng.choice(["greater", "less"]), required=bool(rng.random() < 0.8)) for i in range(m)]


@pytest.mark.parametrize("seed", range(20))
def test_interval_excludes_threshold_exactly_when_the_verdict_says_so(seed):
    """Each printed bound sits at the level that decides its side: the claim-side bound passes the
    threshold iff the test holds, the other bound iff it is reversed (Holm)."""
    rng = np.random.default_rng(seed)
    tests = _random_family(rng, int(rng.integers(2, 12)))
    fam = evaluate_family(tests, 0.05)
    tab = family_table(tests, fam)
    for i, t in enumerate(tests):
        lo, hi = tab.loc[i, ["ci_low", "ci_high"]]
        claim_side = lo > t.threshold if t.direction == "greater" else hi < t.threshold
        reverse_side = hi < t.threshold if t.direction == "greater" else lo > t.threshold
        if t.required:
            assert claim_side == fam.rejected[i], (i, t, tab.loc[i].to_dict())
        assert reverse_side == fam.reversed[i], (i, t, tab.loc[i].to_dict())


def test_reversal_at_unadjusted_level_is_flagged_not_counted():
    # z = -2.2 (p_reverse 0.014 < 0.05) among four null tests: Holm's first level is 0.05/5 = 0.01
    tests = [Test("a", -2.2, 1.0)] + [Test(f"n{i}", 0.1, 1.0) for i in range(4)]
    res = finish("X", tests, S, "stat", "")
    row = res.tests.iloc[0]
    assert res.verdict == "inconclusive"
    assert row["result"] == "undecided (reversed at unadjusted α)"
    assert row["ci_high"] == pytest.approx(-2.2 + stats.norm.isf(0.01))    # upper bound at Holm 0.01: > 0
    assert "Reversed at unadjusted α = 0.05 only" in res.detail and "'a'" in res.detail


def test_headline_interval_is_the_deciding_one():
    # the headline (weakest required test) prints the interval of its own row of the table
    tests = [Test("strong", 5.0, 1.0), Test("weak", 1.0, 1.0)]
    res = finish("X", tests, S, "stat", "")
    assert res.statistic.endswith("[weak]")
    assert (res.ci_low, res.ci_high) == tuple(res.tests.loc[1, ["ci_low", "ci_high"]])
    assert res.ci_low == pytest.approx(1.0 - stats.norm.isf(0.05))   # weak is tested last, at α


def test_projection_normal_quantile_hand_computed():
    # n = 100 · ((z_0.95 + z_0.80) · 0.1 / 0.2)² = 100 · (2.486475 / 2)² = 154.56 -> 155
    t = Test("x", 0.05, 0.1, sesoi=0.2, n_now=100)
    assert projected_sample_size(t, 0.05, 0.80) == 155


def test_projection_t_quantile_at_the_projected_size():
    # 3 seeds (df 2), se 0.01, SESOI 0.005 at level 0.05: the normal answer is 75 seeds; at df 75
    # t_0.95 = 1.6654 and t_0.80 = 0.8468 give 3 · (2.5122 · 2)² = 75.7 -> 76 (and 76 suffices at
    # df 75). The t quantiles of the CURRENT df (2.920 + 0.8416) would give 170.
    t = Test("x", 0.001, 0.01, sesoi=0.005, n_now=3, unit="seeds", df=2)
    assert projected_sample_size(t, 0.05, 0.80) == 76


def test_regime_warning_replaces_projection_for_a_wrong_sign_estimate():
    right = finish("X", [Test("t", 0.5, 1.0, sesoi=0.5, n_now=100)], S, "stat", "")
    assert "Would be decided at about" in right.detail and "Regime warning" not in right.detail
    wrong = finish("X", [Test("t", -0.5, 1.0, sesoi=0.5, n_now=100)], S, "stat", "")
    assert wrong.verdict == "inconclusive"
    assert "Regime warning" in wrong.detail and "'t'" in wrong.detail
    assert "Would be decided" not in wrong.detail
    with pytest.raises(ValueError):
        projected_sample_size(Test("t", -0.5, 1.0, sesoi=0.5, n_now=100), 0.05)
    # "less" claims: an estimate above the threshold is the wrong side
    assert Test("t", 0.3, 1.0, 0.2, "less").wrong_sign() and not Test("t", 0.1, 1.0, 0.2, "less").wrong_sign()


def test_powered_undecided_test_is_not_projected():
    # se 0.01 against a SESOI of 0.2: 100 samples already give 80 % power, yet the estimate 0.005
    # is undecided; the projection (< 100) must not read "would be decided at about N (now 100)"
    res = finish("X", [Test("t", 0.005, 0.01, sesoi=0.2, n_now=100)], S, "stat", "")
    assert res.verdict == "inconclusive"
    assert "Would be decided" not in res.detail and "Already powered" in res.detail


def test_dominant_point_share():
    # Σ|v| = 13, the last point carries 10/13; its se² share is 1/4
    i, share = dominant_point([1, -1, 1, 10], [1, 1, 1, 1])
    assert (i, share) == (3, pytest.approx(10 / 13))
    # equal values, one point with most of the variance: 9/12
    i, share = dominant_point([1, 1, 1, 1], [1, 1, 1, 3])
    assert (i, share) == (3, pytest.approx(9 / 12))
