"""Fixtures of the audit tests: the committed default-profile results."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from audit_synthetic import REPO

DEFAULT = REPO / "results" / "default"


@pytest.fixture(scope="session")
def default_tables():
    """``store`` (a TableStore on results/default, shared: its memo caches by input) and ``cfg``."""
    from metagrad.audit import TableStore
    from metagrad.config import load_config

    if not (DEFAULT / "frontier_L80" / "frontier_aggregate.parquet").exists():
        pytest.skip("committed results/default tables absent")
    return SimpleNamespace(store=TableStore(DEFAULT), cfg=load_config("default", root=REPO))


@pytest.fixture()
def results_folder(tmp_path):
    """A synthetic results folder (frontier L80 only; one table with a provenance record)."""
    from audit_synthetic import synthetic_frontier

    frames = synthetic_frontier(lambda t, c: 1.0 + 2.0 * c, n=64, batches=4)
    root = tmp_path / "results" / "synthetic"
    for key, df in frames.items():
        p = root / f"{key}.parquet"
        p.parent.mkdir(parents=True, exist_ok=True)
        df.to_parquet(p)
    (root / "frontier_L80" / "frontier_L80.provenance.json").write_text(
        '{"git_commit": "abc", "git_dirty": false, "config_hash": "h", "wall_seconds": 1.5, "rule": "x"}')
    return root

