"""compare_folders: exact and statistical comparison of two result folders."""

from __future__ import annotations

import shutil

import pandas as pd

from metagrad.audit import compare_folders


def test_compare_identical_and_perturbed(results_folder, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(results_folder, other)
    res = compare_folders(results_folder, other)
    assert res["consistent"] and all(t["status"] == "identical" for t in res["tables"])
    p = other / "frontier_L80" / "frontier_L80.parquet"
    d = pd.read_parquet(p)
    d.loc[d["setting_id"] == "mg_k79_c1_g1", "mean_0"] += 1.0   # many standard errors
    d.to_parquet(p)
    d.head(2).to_parquet(other / "extra.parquet")
    exact = compare_folders(results_folder, other)
    assert not exact["consistent"] and exact["only_b"] == ["extra.parquet"]
    bad = [t for t in exact["tables"] if t["status"] == "different"]
    assert [t["name"] for t in bad] == ["frontier_L80/frontier_L80.parquet"]
    assert "mean_0" in bad[0]["messages"][0]
    stat = compare_folders(results_folder, other, statistical=True)
    assert not stat["consistent"]
    raw = next(t for t in stat["tables"] if t["name"] == "frontier_L80/frontier_L80.parquet")
    assert raw["status"] == "inconsistent" and any("mg_k79_c1_g1" in m for m in raw["messages"])
    # a tiny perturbation (far below the standard errors) is statistically consistent
    d2 = pd.read_parquet(results_folder / "frontier_L80" / "frontier_L80.parquet")
    d2["mean_0"] += 1e-9
    d2.to_parquet(p)
    assert compare_folders(results_folder, other, statistical=True)["consistent"]
