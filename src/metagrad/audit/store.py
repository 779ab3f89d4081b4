"""Lazy access to the result tables the claims read."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["TableStore", "MissingTable"]


class MissingTable(Exception):
    """A table (or a setting inside one) a claim needs is absent: the claim is ``not_run``."""


class TableStore:
    """``<results_dir>/<key>.parquet`` (keys like ``frontier_L80/frontier_aggregate``), or frames
    given directly (tests). ``memo`` caches computations shared across claims."""

    def __init__(self, results_dir=None, frames: dict | None = None):
        self.root = Path(results_dir) if results_dir is not None else None
        self._frames = dict(frames or {})
        self.memo: dict = {}

    def path(self, key: str) -> Path | None:
        return None if self.root is None else self.root / f"{key}.parquet"

    def has(self, key: str) -> bool:
        p = self.path(key)
        return key in self._frames or (p is not None and p.exists())

    def get(self, key: str) -> pd.DataFrame:
        if key not in self._frames:
            p = self.path(key)
            if p is None or not p.exists():
                raise MissingTable(key)
            self._frames[key] = pd.read_parquet(p)
        return self._frames[key]

    def cached(self, key, compute):
        """``memo[key]``, computed once by ``compute()``."""
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]
