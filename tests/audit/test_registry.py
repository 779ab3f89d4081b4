"""The registry: every claim present, missing tables give not_run."""

from __future__ import annotations

from audit_synthetic import CFG
from metagrad.audit import CLAIMS, TableStore, evaluate_claims


def test_missing_tables_not_run():
    out = evaluate_claims(TableStore(frames={}), CFG)
    assert [r.claim for r in out] == ([f"C{i}" for i in range(1, 15)] + [f"B{i}" for i in range(1, 7)]
                                      + [f"M{i}" for i in range(1, 5)] + ["S1", "S2", "S3"])
    assert {r.verdict for r in out} == {"not_run"}
    assert "maze" in next(r for r in out if r.claim == "C11").detail
    assert len({c.id for c in CLAIMS}) == len(CLAIMS)
