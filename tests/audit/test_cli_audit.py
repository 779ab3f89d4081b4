"""``metagrad audit {run,compare,report}``: the one entry point, flags and exit statuses."""

from __future__ import annotations

import shutil

from audit_synthetic import REPO, write_png
from metagrad import cli


def test_audit_run_compare_report(results_folder, tmp_path, capsys):
    # the smoke profile's config with a synthetic results folder; --root after the sub-command
    assert cli.main(["audit", "run", "--profile", "smoke", "--results", str(results_folder),
                     "--root", str(REPO)]) == 0
    out = capsys.readouterr().out
    assert "C2" in out and (results_folder / "audit" / "claims.csv").exists()

    figs = tmp_path / "figs"
    figs.mkdir()
    write_png(figs / "f.png")
    html = tmp_path / "r.html"
    # --root before the sub-command is kept (not overridden by the sub-command's default)
    assert cli.main(["--root", str(REPO), "audit", "report", "--profile", "smoke", "--results", str(results_folder),
                     "--figures", str(figs), "--out", str(html), "--png", str(figs / "f.png")]) == 0
    assert "data:image/png;base64," in html.read_text()

    other = tmp_path / "other"
    shutil.copytree(results_folder, other)
    assert cli.main(["audit", "compare", str(results_folder), str(other)]) == 0
    assert capsys.readouterr().out.strip().endswith("IDENTICAL")
    (other / "frontier_L80" / "frontier_points.parquet").unlink()
    assert cli.main(["audit", "compare", str(results_folder), str(other), "--statistical", "--k", "3"]) == 0
    assert cli.main(["audit", "compare", str(results_folder), str(tmp_path / "nope")]) == 2


def test_audit_run_errors(tmp_path, capsys):
    assert cli.main(["audit", "run", "--profile", "nope", "--root", str(REPO)]) == 2
    assert capsys.readouterr().err.startswith("ConfigError: unknown profile 'nope'")
    assert cli.main(["audit", "run", "--profile", "smoke", "--results", str(tmp_path / "none"),
                     "--root", str(REPO)]) == 2
    assert "no results folder" in capsys.readouterr().err
