"""Tests of metagrad.metrics on synthetic Gaussian data with known true means.

Statistical tests use fixed seeds, so each is deterministic; the comments give the probability
that the asserted property would fail for a fresh seed (the false-failure rate), derived from the
known sampling distribution and checked by simulating 200 fresh seeds per test (1000
resamples each). Assertions that a 95 % interval covers the truth carry a ~5 % rate by design.
"""

import numpy as np
import pandas as pd
import pytest

from metagrad.metrics import (
    METRICS,
    frontier_metrics,
    paired_difference,
    pool_batches,
    required_sample_size,
    verdict_from_ci,
)

P_SIDE = 5  # 5 x 5 grid, as in the paper
P, D = P_SIDE * P_SIDE, 2


def tabulate(samples, setting_id, estimator="mg", pairing_group=None, batch_sizes=None):
    """Batch table from raw samples (P, B, n, D); ``batch_sizes`` (B,) truncates batches."""
    g = np.linspace(0.5, 2.5, P_SIDE)
    rows = []
    for p in range(samples.shape[0]):
        for b in range(samples.shape[1]):
            x = samples[p, b] if batch_sizes is None else samples[p, b, : batch_sizes[b]]
            row = {"eta_index": p, "eta_0": g[p // P_SIDE], "eta_1": g[p % P_SIDE],
                   "setting_id": setting_id, "estimator": estimator, "truncation_length": 80,
                   "coefficient": 1.0, "meta_discount": np.nan, "hessian": "full",
                   "pairing_group": pairing_group if pairing_group is not None else setting_id,
                   "batch": b, "num_samples": len(x)}
            for d in range(x.shape[1]):
                row[f"mean_{d}"] = x[:, d].mean()
                row[f"var_{d}"] = x[:, d].var(ddof=1) if len(x) > 1 else np.nan
            rows.append(row)
    return pd.DataFrame(rows)


def gaussian(rng, true_mean, sigma, num_batches, batch_size):
    """Raw samples (P, B, n, D) ~ N(true_mean[p], sigma²)."""
    noise = rng.standard_normal((true_mean.shape[0], num_batches, batch_size, true_mean.shape[1]))
    return true_mean[:, None, None, :] + sigma * noise


@pytest.fixture(scope="module")
def truth():
    return np.random.default_rng(123).normal(0.0, 0.5, size=(P, D))


def reference_table(rng, truth, sigma=1.0, num_batches=40, batch_size=100):
    return tabulate(gaussian(rng, truth, sigma, num_batches, batch_size), "fd_ref", estimator="fd")


# ----------------------------------------------------------------------------- pooling


def test_pooling_matches_concatenated_samples():
    rng = np.random.default_rng(0)
    # heavy-tailed, unequal batches including a one-sample batch (its var is NaN in the table)
    sizes = np.array([1, 7, 30, 2, 64, 13])
    raw = rng.standard_t(df=3, size=(3, len(sizes), sizes.max(), 3)) * [1.0, 10.0, 1e-3] + [5.0, -2.0, 0.0]
    pooled = pool_batches(tabulate(raw, "s", batch_sizes=sizes)).set_index("eta_index")
    assert pooled["N"].tolist() == [sizes.sum()] * 3
    for p in range(3):
        x = np.concatenate([raw[p, b, :n] for b, n in enumerate(sizes)])
        bm = np.array([raw[p, b, :n].mean(0) for b, n in enumerate(sizes)])
        for d in range(3):
            np.testing.assert_allclose(pooled.loc[p, f"mean_{d}"], x[:, d].mean(), rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(pooled.loc[p, f"var_{d}"], x[:, d].var(ddof=1), rtol=1e-10)
            np.testing.assert_allclose(pooled.loc[p, f"se_{d}"], bm[:, d].std(ddof=1) / np.sqrt(len(sizes)),
                                       rtol=1e-10)
        np.testing.assert_allclose(pooled.loc[p, "variance"], x.var(0, ddof=1).sum(), rtol=1e-10)
    assert pooled["num_batches"].tolist() == [len(sizes)] * 3


def test_pooling_single_batch_falls_back_to_per_sample_se():
    raw = np.random.default_rng(1).normal(size=(2, 1, 50, 2))
    pooled = pool_batches(tabulate(raw, "s"))
    for d in range(2):
        np.testing.assert_allclose(pooled[f"se_{d}"], np.sqrt(pooled[f"var_{d}"] / 50), rtol=1e-12)


def test_pooling_keeps_metadata_and_detects_dimensions():
    raw = np.random.default_rng(2).normal(size=(2, 3, 4, 5))
    pooled = pool_batches(tabulate(raw, "s", estimator="dice"))
    assert {f"mean_{d}" for d in range(5)} <= set(pooled.columns)
    assert (pooled["estimator"] == "dice").all() and "eta_1" in pooled.columns


# ----------------------------------------------------------------------------- frontier


def test_identical_means_have_cosine_one_and_zero_bias(truth):
    ref = reference_table(np.random.default_rng(3), truth)
    est = ref.assign(setting_id="copy", estimator="mg")
    per_point, agg = frontier_metrics(est, ref, num_bootstrap=50, num_grid_bootstrap=100)
    np.testing.assert_allclose(per_point["cosine"], 1.0, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(per_point["bias_raw"], 0.0)
    assert agg.loc[0, "cosine"] == pytest.approx(1.0, abs=1e-12)


def test_probe_projections_rescale_the_variance_trace_only(truth):
    """K probe projections of a D-dimensional estimate: the trace is rescaled by D/K (here
    D = 10, K = 2); bias and cosine are unchanged, and a table without the columns has K = D."""
    ref = reference_table(np.random.default_rng(4), truth)
    est = tabulate(gaussian(np.random.default_rng(5), truth, 1.0, 8, 50), "mg")
    probes = est.assign(num_meta_params=10, num_probes=2)
    _, plain = frontier_metrics(est, ref, num_bootstrap=50, num_grid_bootstrap=100, seed=1)
    _, scaled = frontier_metrics(probes, ref, num_bootstrap=50, num_grid_bootstrap=100, seed=1)
    for m in ("variance", "variance_ci_low", "variance_median"):
        assert scaled.loc[0, m] == pytest.approx(5 * plain.loc[0, m], rel=1e-12)
    for m in ("bias_raw", "bias_corrected", "cosine"):
        assert scaled.loc[0, m] == pytest.approx(plain.loc[0, m], rel=1e-12)
    assert pool_batches(probes)["variance"].sum() == pytest.approx(5 * pool_batches(est)["variance"].sum())
    d = paired_difference(pd.concat([probes, est.assign(setting_id="plain")]), ref, "mg", "plain", "variance", 50)
    assert d["difference"] == pytest.approx(4 * plain.loc[0, "variance"], rel=1e-12)


def test_unbiased_estimator_bias_is_noise_floor(truth):
    rng = np.random.default_rng(4)
    sigma, B, n, sigma_ref, B_ref, n_ref = 1.0, 20, 50, 1.0, 40, 100
    ref = reference_table(rng, truth, sigma_ref, B_ref, n_ref)
    est = tabulate(gaussian(rng, truth, sigma, B, n), "unbiased")
    per_point, agg = frontier_metrics(est, ref, num_bootstrap=1000, seed=0)
    row = agg.iloc[0]
    floor = sigma**2 / (B * n) + sigma_ref**2 / (B_ref * n_ref)  # true E[bias_raw] per point
    # grid-mean bias_raw = floor * chi2_50 / 50 (50 = 25 points x 2 coordinates): mean floor,
    # sd 0.2 floor. P(bias_raw < 0.4 floor) ~ 1e-5: it is clearly > 0, and so is its interval.
    assert row["bias_raw"] > 0.4 * floor
    assert row["bias_raw_ci_low"] > 0
    # the estimated floor uses 20- and 40-batch SEs: relative sd about 3 % on the grid mean
    assert row["noise_floor"] == pytest.approx(floor, rel=0.15)
    # corrected bias: true value 0, sd 0.2 floor; |z| < 4 fails with probability 6e-5. The 95 %
    # interval is conservative at zero bias (about 1.7x the exact width; it covered 0 for all
    # 200 simulated seeds), so a false failure is well under 1 %.
    # variance: its 95 % interval covered the truth for 96.5 % of 200 seeds (false failure ~4 %).
    assert abs(row["bias_corrected"]) < 4 * 0.2 * floor
    assert row["bias_corrected_ci_low"] < 0 < row["bias_corrected_ci_high"]
    # variance trace: 2 sigma² with relative sd sqrt(2/1000)/sqrt(2*25) per grid mean: 6e-3
    assert row["variance"] == pytest.approx(D * sigma**2, rel=0.03)
    assert row["variance_ci_low"] < D * sigma**2 < row["variance_ci_high"]
    # the paper's error bar is the std of a mean of 25 points: population sd / 5 (MC error 1 %)
    for m in ("bias_raw", "variance"):
        assert row[f"{m}_grid_err"] == pytest.approx(per_point[m].std(ddof=0) / np.sqrt(P), rel=0.05)
    assert set(f"{m}_ci_low" for m in METRICS) <= set(per_point.columns)


def test_known_bias_is_recovered_within_ci(truth):
    rng = np.random.default_rng(5)
    sigma, B, n = 1.0, 20, 50
    bias = np.random.default_rng(6).choice([-1.0, 1.0], size=(P, D)) * 0.1
    true_sq = (bias**2).mean()  # 0.01, = 10 x the noise floor 1e-3
    ref = reference_table(rng, truth, 1.0, 40, 100)
    est = tabulate(gaussian(rng, truth + bias, sigma, B, n), "biased")
    _, agg = frontier_metrics(est, ref, num_bootstrap=1000, seed=1)
    row = agg.iloc[0]
    s2 = sigma**2 / (B * n) + 1.0 / 4000
    # per term (b+e)² − s2 has sd sqrt(4 b² s2 + 2 s2²); grid mean over 50 terms
    sd = np.sqrt(4 * 0.01 * s2 + 2 * s2**2) / np.sqrt(P * D)
    assert abs(row["bias_corrected"] - true_sq) < 4 * sd  # false failure 6e-5
    # 95 % interval: covered the truth for 97 % of 200 seeds (false failure ~3 %)
    assert row["bias_corrected_ci_low"] < true_sq < row["bias_corrected_ci_high"]
    assert row["bias_corrected_ci_low"] > 0  # truth is 11 sd above 0
    # raw bias sits one floor higher
    assert row["bias_raw"] - row["bias_corrected"] == pytest.approx(s2, rel=0.15)


def test_bootstrap_is_reproducible_and_seed_dependent(truth):
    rng = np.random.default_rng(7)
    ref = reference_table(rng, truth, 1.0, 10, 20)
    est = tabulate(gaussian(rng, truth, 1.0, 10, 20), "s")
    a = frontier_metrics(est, ref, num_bootstrap=200, seed=3, num_grid_bootstrap=500)[1]
    b = frontier_metrics(est, ref, num_bootstrap=200, seed=3, num_grid_bootstrap=500)[1]
    c = frontier_metrics(est, ref, num_bootstrap=200, seed=4, num_grid_bootstrap=500)[1]
    pd.testing.assert_frame_equal(a, b)
    assert a.loc[0, "bias_raw"] == c.loc[0, "bias_raw"]
    assert a.loc[0, "bias_raw_ci_low"] != c.loc[0, "bias_raw_ci_low"]


def test_reference_grid_mismatch_is_rejected(truth):
    rng = np.random.default_rng(8)
    ref = reference_table(rng, truth, 1.0, 4, 5)
    est = tabulate(gaussian(rng, truth, 1.0, 4, 5), "s")
    with pytest.raises(ValueError, match="eta coordinates"):
        frontier_metrics(est.assign(eta_0=est["eta_0"] + 0.1), ref, num_bootstrap=10)
    with pytest.raises(ValueError, match="lacks eta points"):
        frontier_metrics(est, ref[ref["eta_index"] > 0], num_bootstrap=10)


# ----------------------------------------------------------------------------- paired differences


def pair_tables(x, a_values, paired):
    """Settings a and b on raw samples: b = x, a = a_values; shared or separate pairing_group."""
    ga, gb = ("shared", "shared") if paired else ("ga", "gb")
    return pd.concat([tabulate(a_values, "a", pairing_group=ga), tabulate(x, "b", pairing_group=gb)],
                     ignore_index=True)


def test_paired_variance_difference_is_much_tighter(truth):
    rng = np.random.default_rng(9)
    ref = reference_table(rng, truth, 1.0, 10, 20)
    x = gaussian(rng, truth, 1.0, 20, 50)
    tau = 0.1
    a = x + tau * rng.standard_normal(x.shape)  # a = x + δ, δ small and per sample
    true_diff = D * tau**2  # 0.02
    paired = paired_difference(pair_tables(x, a, True), ref, "a", "b", "variance", 1000, seed=0)
    unpaired = paired_difference(pair_tables(x, a, False), ref, "a", "b", "variance", 1000, seed=0)
    assert paired["paired"] and not unpaired["paired"]
    assert paired["difference"] == pytest.approx(unpaired["difference"], rel=1e-12)
    width_p = paired["ci_high"] - paired["ci_low"]
    width_u = unpaired["ci_high"] - unpaired["ci_low"]
    # paired sd ~ 2 sqrt(2) sigma tau / sqrt(N P) = 1.8e-3; unpaired ~ 2 sigma² / sqrt(N P) = 1.8e-2:
    # expected width ratio 10 (200 simulated seeds: mean 10.0, min 8.3; false failure << 1 %)
    assert width_p * 5 < width_u
    # the paired interval excludes 0 (truth is 11 paired sds above 0) and covers the truth
    # (96 % of 200 seeds: false failure ~4 %); the unpaired one cannot decide (0 inside its
    # interval for 200 of 200 seeds)
    assert paired["ci_low"] > 0
    assert paired["ci_low"] < true_diff < paired["ci_high"]
    assert unpaired["ci_low"] < 0 < unpaired["ci_high"]
    pp = paired["per_point"]
    assert len(pp) == P and paired["num_points"] == P
    assert paired["num_points_positive"] == int((pp["ci_low"] > 0).sum()) > 0
    # per point the truth is 2.2 sds above 0: a CI below 0 has probability ~1e-7 per point
    assert paired["num_points_negative"] == 0
    np.testing.assert_allclose(pp["difference"], pp["value_a"] - pp["value_b"])


def test_paired_bias_difference_with_shared_reference(truth):
    rng = np.random.default_rng(10)
    ref = reference_table(rng, truth, 1.0, 40, 100)
    x = gaussian(rng, truth, 1.0, 20, 50)
    s = np.sqrt(1.0 / 1000 + 1.0 / 4000)
    delta = 2 * s  # constant shift: a is biased by δ in every coordinate, b is unbiased
    a = x + delta
    for metric in ("bias_corrected", "bias_raw"):
        paired = paired_difference(pair_tables(x, a, True), ref, "a", "b", metric, 1000, seed=1)
        unpaired = paired_difference(pair_tables(x, a, False), ref, "a", "b", metric, 1000, seed=1)
        # floors are equal (a − b is constant), so the difference is δ² + 2δ·mean(e) in both
        # metrics, with sd 2 δ s / sqrt(50) = δ²/7: 0 is 7 sd away; the 95 % CI covers δ²
        # (96 % of 200 simulated seeds: false failure ~4 %).
        assert paired["ci_low"] > 0
        assert paired["ci_low"] < delta**2 < paired["ci_high"]
        # unpaired also pays for the fluctuations of each squared error: wider (200 seeds:
        # ratio 1.29 on average, never below 1.12)
        assert (paired["ci_high"] - paired["ci_low"]) < (unpaired["ci_high"] - unpaired["ci_low"])


def test_paired_null_difference_covers_zero(truth):
    rng = np.random.default_rng(11)
    ref = reference_table(rng, truth, 1.0, 10, 20)
    x = gaussian(rng, truth, 1.0, 20, 50)
    a = x + 0.1 * rng.standard_normal(x.shape)
    b = x + 0.1 * rng.standard_normal(x.shape)  # same distribution as a, same lifetimes
    res = paired_difference(pair_tables(b, a, True), ref, "a", "b", "log_variance", 1000, seed=2)
    assert res["ci_low"] < 0 < res["ci_high"]  # false failure 5 % (200 seeds: 4.5 %)


def test_paired_difference_rejects_unknown_metric_or_setting(truth):
    rng = np.random.default_rng(12)
    ref = reference_table(rng, truth, 1.0, 2, 5)
    est = tabulate(gaussian(rng, truth, 1.0, 2, 5), "a")
    with pytest.raises(ValueError, match="metric"):
        paired_difference(est, ref, "a", "a", "bias", 10, 0)
    with pytest.raises(ValueError, match="unknown setting_id"):
        paired_difference(est, ref, "a", "nope", "variance", 10, 0)


# ----------------------------------------------------------------------------- decisions


@pytest.mark.parametrize("low, high, direction, expected", [
    (0.1, 0.3, "positive", "pass"),
    (-0.3, -0.1, "positive", "fail"),
    (-0.1, 0.3, "positive", "inconclusive"),
    (0.0, 0.3, "positive", "inconclusive"),
    (-0.3, -0.1, "negative", "pass"),
    (0.1, 0.3, "negative", "fail"),
    (-0.1, 0.3, "negative", "inconclusive"),
    (np.nan, 0.3, "positive", "inconclusive"),
])
def test_verdict_from_ci(low, high, direction, expected):
    assert verdict_from_ci(low, high, direction) == expected


def test_verdict_from_ci_rejects_bad_input():
    with pytest.raises(ValueError):
        verdict_from_ci(0.1, 0.2, "up")
    with pytest.raises(ValueError):
        verdict_from_ci(0.3, 0.1, "positive")


@pytest.mark.parametrize("effect, se_now, n_now, z", [
    (1e-4, 3e-4, 4000, 2.0), (-0.5, 0.1, 100, 2.0), (2e-3, 1e-3, 32_000, 3.0), (1.0, 0.01, 10, 2.0)])
def test_required_sample_size_round_trip(effect, se_now, n_now, z):
    n = required_sample_size(effect, se_now, n_now, z)
    se_at = lambda m: se_now * np.sqrt(n_now / m)  # noqa: E731
    assert z * se_at(n) <= abs(effect) * (1 + 1e-12)
    if n > 1:
        assert z * se_at(n - 1) > abs(effect)


def test_required_sample_size_known_values():
    assert required_sample_size(0.2, 0.1, 100, z=2.0) == 100  # already exactly 2 se away
    assert required_sample_size(0.1, 0.1, 100, z=2.0) == 400  # half the effect: 4x the samples
    with pytest.raises(ValueError):
        required_sample_size(0.0, 0.1, 100)
