"""The CLI end to end in-process, with a throwaway experiment module injected via sys.modules."""

import json
import sys
import types

import pandas as pd
import pytest

from fake_modules import FAKE_LANDSCAPE_SOURCE
from metagrad import cli
from metagrad.io import read_table


@pytest.fixture
def fake_experiment(monkeypatch):
    name = "fake_landscape_for_tests"
    mod = types.ModuleType(f"metagrad.experiments.{name}")
    exec(FAKE_LANDSCAPE_SOURCE, mod.__dict__)
    try:
        import metagrad.experiments  # noqa: F401  (the real package, once it exists)
    except ImportError:
        monkeypatch.setitem(sys.modules, "metagrad.experiments", types.ModuleType("metagrad.experiments"))
    monkeypatch.setitem(sys.modules, f"metagrad.experiments.{name}", mod)
    return name


def test_validate_all(capsys):
    assert cli.main(["validate"]) == 0
    out = capsys.readouterr().out
    assert "profile smoke: OK" in out and "profile paper: OK" in out


def test_validate_unknown_profile(capsys):
    assert cli.main(["validate", "--profile", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ConfigError: unknown profile 'nope'") and "\n" not in err


def test_experiment_section_must_exist(fake_experiment, tmp_path, capsys):
    # the fake's name is not a config section -> one-line error, nothing written
    rc = cli.main(["experiment", fake_experiment, "--profile", "smoke", "--out", str(tmp_path / "t.parquet")])
    assert rc == 2
    assert f"experiments.{fake_experiment}" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_experiment_then_figure(fake_experiment, tmp_path, monkeypatch, capsys):
    # run the fake under the 'landscape' config section by aliasing it to that name
    monkeypatch.setitem(sys.modules, "metagrad.experiments.landscape", sys.modules[f"metagrad.experiments.{fake_experiment}"])
    table = tmp_path / "results" / "landscape.parquet"
    assert cli.main(["experiment", "landscape", "--profile", "smoke", "--out", str(table), "--rule", "landscape"]) == 0
    df = read_table(table)
    assert list(df.columns) == ["eta_0", "eta_1", "mean_reward", "mean_reward_se", "num_lifetimes"]
    assert len(df) == 36
    rec = json.loads((tmp_path / "results" / "landscape.provenance.json").read_text())
    assert rec["name"] == "landscape" and rec["rule"] == "landscape" and rec["num_rows"] == 36
    assert rec["section"]["grid_size"] == 6
    assert "[smoke/landscape]" in capsys.readouterr().err  # progress lines

    fig = tmp_path / "figures" / "fig1_landscape.pdf"
    assert cli.main(["figure", "landscape", "--profile", "smoke", "--tables", str(table), "--out", str(fig)]) == 0
    for suffix in (".pdf", ".png", ".caption.txt", ".provenance.json"):
        p = fig.with_name("fig1_landscape" + suffix)
        assert p.exists() and p.stat().st_size > 0, p
    assert fig.read_bytes().startswith(b"%PDF")
    caption = fig.with_name("fig1_landscape.caption.txt").read_text()
    assert "6 x 6" in caption and "L = 30" in caption and "64 lifetimes per grid point" in caption
    assert sorted(p.name for p in fig.parent.iterdir() if p.name.startswith(".")) == []


def test_unknown_figure(tmp_path, capsys):
    t = tmp_path / "x.csv"
    pd.DataFrame({"a": [1]}).to_csv(t, index=False)
    assert cli.main(["figure", "no_such_fig", "--profile", "smoke", "--tables", str(t), "--out", str(tmp_path / "f.pdf")]) == 2
    assert "unknown figure 'no_such_fig'" in capsys.readouterr().err
