"""build_report: one self-contained HTML page (and, where Chromium exists, that it renders)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile

import numpy as np
import pytest

from audit_synthetic import CFG, write_png
from metagrad.audit import build_report, run_audit


def test_report_html(results_folder, tmp_path):
    run_audit(results_folder, CFG)
    figs = tmp_path / "figures"
    figs.mkdir()
    write_png(figs / "fig9_test.png")
    (figs / "fig9_test.caption.txt").write_text("A test caption.")
    out = build_report("synthetic", results_folder, figs, results_folder / "report" / "index.html")
    html = out.read_text()
    assert "data:image/png;base64," in html and "A test caption." in html
    assert 'id="img-check"' in html or "id='img-check'" in html
    assert "C2" in html and "#1a7f37" in html   # a coloured pass


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (apt-get install -y chromium)")
def test_report_opens_in_headless_chromium(results_folder, tmp_path):
    from PIL import Image

    run_audit(results_folder, CFG)
    figs = tmp_path / "figures"
    figs.mkdir()
    write_png(figs / "fig9_test.png")
    out = build_report("synthetic", results_folder, figs, tmp_path / "report" / "index.html")
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", f"--user-data-dir={tempfile.mkdtemp()}", "--virtual-time-budget=5000"]
    dom = subprocess.run(flags + ["--dump-dom", out.resolve().as_uri()], capture_output=True, text=True,
                         timeout=60).stdout
    assert 'data-status="ok"' in dom, dom[:500]
    shot = tmp_path / "shot.png"
    subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1200,900", out.resolve().as_uri()],
                   capture_output=True, timeout=60)
    img = np.asarray(Image.open(shot).convert("L"))
    assert img.std() > 5   # not blank
