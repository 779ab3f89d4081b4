import os

import pandas as pd
import pytest

from metagrad.io import atomic_path, atomic_write_json, atomic_write_text, read_table, write_table


@pytest.fixture
def df():
    return pd.DataFrame({"eta_0": [0.0, 1.0], "eta_1": [2.0, 3.0], "name": ["a", "b"], "n": [1, 2]})


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_roundtrip(tmp_path, df, suffix):
    path = tmp_path / "sub" / f"t{suffix}"
    write_table(df, path)
    pd.testing.assert_frame_equal(read_table(path), df)
    assert os.listdir(path.parent) == [path.name]  # no temporaries left


def test_bad_suffix(tmp_path, df):
    with pytest.raises(ValueError, match="parquet"):
        write_table(df, tmp_path / "t.xlsx")


def test_failed_write_leaves_no_partial_file(tmp_path):
    path = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with atomic_path(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError("writer crashed")
    assert not path.exists()
    assert os.listdir(tmp_path) == []


def test_failed_write_keeps_previous_file(tmp_path, df):
    path = tmp_path / "t.parquet"
    write_table(df, path)
    before = path.read_bytes()

    class Exploding(pd.DataFrame):
        def to_parquet(self, *a, **k):
            with open(a[0], "wb") as fh:
                fh.write(b"partial")
            raise OSError("disk full")

    with pytest.raises(OSError):
        write_table(Exploding(df), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["t.parquet"]


def test_text_and_json(tmp_path):
    atomic_write_text(tmp_path / "a.txt", "hello\n")
    assert (tmp_path / "a.txt").read_text() == "hello\n"
    import numpy as np

    atomic_write_json(tmp_path / "a.json", {"x": np.float32(1.5), "y": np.arange(2)})
    import json

    assert json.loads((tmp_path / "a.json").read_text()) == {"x": 1.5, "y": [0, 1]}
