"""Result tables (CSV, Markdown, LaTeX) from synthetic frontier and final-performance tables."""

from pathlib import Path

import numpy as np
import pandas as pd

from metagrad import cli, names
from metagrad import tables as result_tables
from synthetic_tables import frontier_aggregate

ROOT = Path(__file__).resolve().parents[2]


def _final(code="correction"):
    return pd.DataFrame({
        "estimator": ["naive", code], "truncation_length": [8, 8], "coefficient": [0.0, 1.0],
        "meta_discount": [1.0, 1.0], "learning_rate": [0.05, 0.05], "optimizer": ["sgd", "sgd"],
        "num_runs": [5, 5], "num_diverged": [0, 1], "final_updates": [100, 100],
        "final_mean_reward": [0.25, 0.2534], "final_mean_reward_se": [0.001, np.nan],
        "evaluation_se": [0.002, 0.002], "final_eta_0": [2.1, 2.4], "final_eta_1": [3.0, 3.3]})


def test_write_tables_roundtrip(tmp_path):
    table = result_tables.format_table("frontier_L80", frontier_aggregate())
    paths = result_tables.write_tables("frontier_L80", table, tmp_path)
    assert [p.name for p in paths] == ["frontier_L80.csv", "frontier_L80.md", "frontier_L80.tex"]
    back = pd.read_csv(paths[0])
    assert list(back.columns) == list(table.columns)
    for c in table.columns:
        if pd.api.types.is_numeric_dtype(table[c]):
            np.testing.assert_allclose(back[c].to_numpy(float), table[c].to_numpy(float), rtol=1e-12,
                                       equal_nan=True)
        else:
            assert back[c].astype(str).tolist() == table[c].astype(str).tolist()
    md = paths[1].read_text().splitlines()
    assert len(md) == len(table) + 2  # header, separator, one line per row
    assert md[0].startswith("| estimator") and set(md[1].replace("|", "").replace(" ", "")) <= {"-", ":"}
    assert all(line.count("|") == md[0].count("|") for line in md)
    assert "±" in md[2] and "[" in md[2]  # bias +- grid error, corrected bias [CI]
    tex = paths[2].read_text()
    assert r"\begin{tabular}" in tex and r"\end{tabular}" in tex
    assert tex.count(r"\\") == len(table) + 1
    assert "meta_discount" not in table.columns  # no gamma_m sweep at L = 80


def test_estimators_are_labelled_and_ordered_by_the_vocabulary(tmp_path):
    table = result_tables.format_table("frontier_L80", frontier_aggregate().sample(frac=1, random_state=0))
    order = [names.order_key(c) for c in table["estimator"]]
    assert order == sorted(order)
    cells = [line.split("|")[1].strip() for line in result_tables.to_markdown(table).splitlines()[2:]]
    assert set(cells) == {names.short_label(c) for c in ("naive", "correction", "es", "dice")}


def test_legacy_mg_code_reads_as_correction():
    new = result_tables.format_table("frontier_L80", frontier_aggregate())
    old = result_tables.format_table("frontier_L80", frontier_aggregate(mg_code="mg"))
    pd.testing.assert_frame_equal(new, old)
    final = result_tables.format_table("truncated_sgd_final", _final(code="mg"))
    assert final["estimator"].tolist() == ["naive", "correction"]


def test_frontier_table_shows_probe_counts_only_when_the_trace_is_estimated():
    probed = result_tables.format_table("frontier_L80", frontier_aggregate(probes=(400, 16)))
    assert {"num_meta_params", "num_probes"} <= set(probed.columns)
    assert "K (variance probes)" in result_tables.to_markdown(probed)
    full = result_tables.format_table("frontier_L80", frontier_aggregate(probes=(2, 2)))
    assert "num_probes" not in full.columns


def test_final_performance_table(tmp_path):
    table = result_tables.format_table("truncated_sgd_final", _final())
    paths = result_tables.write_tables("truncated_sgd_final", table, tmp_path)
    md = paths[1].read_text().splitlines()
    assert len(md) == 4 and "0.2500 ± 0.0010" in md[2] and "0.2534 " in md[3]
    assert "sampling correction" in md[3]
    assert r"\begin{tabular}" in paths[2].read_text()


def test_table_command_line(tmp_path):
    src = tmp_path / "frontier_aggregate.parquet"
    frontier_aggregate(L=30, truncations=(1, 8, 22, 29), discounts=(0.0, 0.5, 1.0), dice=False,
                       es=False).to_parquet(src, index=False)
    out = tmp_path / "tables"
    rc = cli.main(["--root", str(ROOT), "table", "frontier_L30", "--profile", "smoke",
                   "--input", str(src), "--out-dir", str(out)])
    assert rc == 0
    assert {p.name for p in out.iterdir()} >= {"frontier_L30.csv", "frontier_L30.md", "frontier_L30.tex",
                                              "frontier_L30.provenance.json"}
    assert "meta_discount" in pd.read_csv(out / "frontier_L30.csv").columns
