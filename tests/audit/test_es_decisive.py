"""ES's decisive bias (ours) is measured against untruncated c = 1's variance-reduced rows, not FD.

Synthetic frontier table whose truth is known: c = 1 (raw and variance-reduced) is unbiased,
ES's variance-reduced rows carry a known bias b per coordinate (squared-bias metric b²), and the
FD reference is offset by a smoothing bias s per coordinate, so a measurement against FD would
give (b − s)². Seeds fixed; the tolerances are 4.5 bootstrap standard errors (false-failure rate
below 1e-5 per check under normality).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit_synthetic import CFG, G_STAR, _rows
from metagrad.audit import TableStore
from metagrad.audit.frontier_data import frontier
from metagrad.summaries.frontier import ES_DECISIVE_SOURCE, summarize

L, B, S = 80, 3e-2, 1e-1        # lifetime, ES bias per coordinate, FD offset per coordinate


def _table(points=4, batches=64, n=64, seed=0):
    rng = np.random.default_rng(seed)
    mg = {"estimator": "correction", "truncation_length": L - 1, "coefficient": 1.0,
          "meta_discount": 1.0, "hessian": "none"}
    es = {"estimator": "es", "truncation_length": 1, "coefficient": np.nan, "meta_discount": np.nan,
          "hessian": "none"}
    fd = {"estimator": "fd", "truncation_length": L - 1, "coefficient": np.nan,
          "meta_discount": np.nan, "hessian": "none", "pairing_group": "fd"}
    rows = []
    for p in range(points):
        draw = lambda std, m=n: std * rng.standard_normal((batches, m, 2))  # noqa: E731
        rows += _rows(p, "correction_k79_c1_g1", {**mg, "pairing_group": "mg"}, G_STAR + draw(1.0))
        rows += _rows(p, "correction_k79_c1_g1_rb", {**mg, "pairing_group": "mg_rb"}, G_STAR + draw(0.3))
        rows += _rows(p, "es_k1_s0.1", {**es, "pairing_group": "es"}, G_STAR + B + draw(3.0))
        rows += _rows(p, "es_k1_s0.1_rb", {**es, "pairing_group": "es_rb"}, G_STAR + B + draw(0.5))
        rows += _rows(p, "fd_e0.1", fd, G_STAR + S + draw(1.0))
    raw = pd.DataFrame(rows)
    raw["lifetime_length"] = L
    return raw


@pytest.fixture(scope="module")
def summary():
    raw = _table()
    out = summarize({"frontier_L80": raw}, CFG, {})
    return raw, out


def test_es_decisive_bias_is_against_untruncated_c1(summary):
    _, out = summary
    agg = out["frontier_aggregate"].set_index("setting_id")
    for sid in ("es_k1_s0.1", "es_k1_s0.1_rb"):
        row = agg.loc[sid]
        assert row["bias_decisive_source"] == ES_DECISIVE_SOURCE
        # unbiased for b² against c = 1; against FD it would be (b − s)² = 4.9e-3, ~18 s.e. away
        assert abs(row["bias_decisive"] - B ** 2) < 4.5 * row["bias_decisive_boot_se"]
        assert row["bias_decisive_boot_se"] < abs(B ** 2 - (B - S) ** 2) / 4.5
    # the paper's metric stays against FD
    assert abs(agg.loc["es_k1_s0.1_rb", "bias_corrected"] - (B - S) ** 2) < 4.5 * agg.loc[
        "es_k1_s0.1_rb", "bias_corrected_boot_se"]


def test_es_per_point_decisive_bias_and_audit_sizes(summary):
    raw, out = summary
    pts = out["frontier_points"]
    es = pts[pts["setting_id"] == "es_k1_s0.1_rb"]
    assert es["bias_decisive"].notna().all() and len(es) == 4
    assert pts.loc[pts["setting_id"] == "correction_k79_c1_g1", "bias_decisive"].isna().all()
    frames = {"frontier_L80/frontier_L80": raw,
              **{f"frontier_L80/{k}": v for k, v in out.items()}}
    f = frontier(TableStore(frames=frames), CFG)
    assert f.es_decisive_reference("es_k1_s0.1") == "correction_k79_c1_g1_rb"
    # the reference's share of the noise is that of c = 1's variance-reduced rows (var 0.09 vs
    # ES's 0.25 per coordinate, equal sample sizes: 0.09 / 0.34), not FD's (1 / 1.25 = 0.8);
    # batch-means se² over 64 batches: within 30 % (about 3.5 sd of the ratio)
    n, unit, share = f.limiting_size("es_k1_s0.1", "bias_decisive")
    assert share == pytest.approx(0.09 / 0.34, rel=0.3) and unit == "samples per point"
