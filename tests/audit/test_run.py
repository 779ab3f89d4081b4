"""run_audit: claims.csv and summary.md of a results folder."""

from __future__ import annotations

from audit_synthetic import CFG
from metagrad.audit import run_audit
from metagrad.audit.run import CSV_COLUMNS


def test_run_audit_writes_csv_and_summary(results_folder):
    df = run_audit(results_folder, CFG)
    assert list(df.columns) == CSV_COLUMNS
    assert df.loc[df["claim"] == "C2", "verdict"].item() == "pass"
    assert df.loc[df["claim"] == "C11", "verdict"].item() == "not_run"
    md = (results_folder / "audit" / "summary.md").read_text()
    assert "## Provenance" in md and "Tables without a provenance record" in md
    assert "frontier_L80/frontier_points.parquet" in md
    assert "claim_level" in md and "reverse_level" in md   # the tests' deciding levels are shown
