"""Atomic file output and table I/O.

Every writer goes through :func:`atomic_path`: it writes to a hidden temporary file in the
destination's folder and ``os.replace``-s it over the destination only when writing succeeded,
so a crash or an exception never leaves a partial file, and an existing file is kept intact
until its replacement is complete.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

__all__ = ["atomic_path", "atomic_write_text", "atomic_write_json", "write_table", "read_table", "TABLE_SUFFIXES"]

TABLE_SUFFIXES = (".parquet", ".csv")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on normal exit move it onto ``path`` atomically.

    On an exception the temporary file is removed and ``path`` is left untouched.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, dest)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    return Path(path)


def write_csv_rows(path: str | os.PathLike, rows: list[dict]) -> Path:
    """Rows (dicts with the same keys) as a CSV file, written atomically."""
    import csv

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return path


def _json_default(obj: Any):
    # numpy scalars/arrays and paths, without importing numpy here
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    return str(obj)


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


def _suffix(path: Path) -> str:
    suf = path.suffix.lower()
    if suf not in TABLE_SUFFIXES:
        raise ValueError(f"table path {path} must end in one of {', '.join(TABLE_SUFFIXES)}")
    return suf


def write_table(df, path: str | os.PathLike) -> Path:
    """Write a pandas DataFrame atomically; format by suffix (.parquet or .csv)."""
    dest = Path(path)
    suf = _suffix(dest)
    with atomic_path(dest) as tmp:
        if suf == ".parquet":
            df.to_parquet(tmp, engine="pyarrow", index=False)
        else:
            df.to_csv(tmp, index=False)
    return dest


def read_table(path: str | os.PathLike):
    """Read a table written by :func:`write_table`."""
    import pandas as pd

    src = Path(path)
    suf = _suffix(src)
    if suf == ".parquet":
        return pd.read_parquet(src, engine="pyarrow")
    return pd.read_csv(src)
