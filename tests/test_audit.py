"""Audit: claims on synthetic tables whose truth is known, compare, report (and its browser check)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metagrad.audit import claims as C
from metagrad.audit.compare import compare_folders
from metagrad.audit.report import build_report
from metagrad.audit.run import CSV_COLUMNS, run_audit
from metagrad.metrics import frontier_metrics

L = 80
CFG = {"profile": "synthetic", "seed": 0, "audit": {"num_bootstrap": 200}}


def _settings(ts=(1, 20, 79), cs=(0.0, 0.5, 1.0)):
    out = []
    for t in ts:
        for c in cs:
            est = "naive" if c == 0 else "mg"
            out.append((f"{est}_k{t}_c{c:g}_g1", est, t, c))
    return out


def synthetic_frontier(variance, bias=lambda t, c: 0.0, n=256, batches=8, shared=True, seed=0,
                       ts=(1, 20, 79), cs=(0.0, 0.5, 1.0), points=4):
    """Raw batch table: MG settings with per-sample variance ``variance(t, c)`` (trace, split over
    2 coordinates) and mean g* + sqrt(bias)(1, 1) (so the paper's bias metric = bias(t, c));
    ``shared``: every setting scales the SAME standard-normal draws (paired samples)."""
    rng = np.random.default_rng(seed)
    g_star = np.array([1.0, -0.5])
    rows = []
    for p in range(points):
        base = rng.standard_normal((batches, n, 2))
        for sid, est, t, c in _settings(ts, cs):
            z = base if shared else rng.standard_normal((batches, n, 2))
            x = g_star + np.sqrt(bias(t, c)) + np.sqrt(variance(t, c) / 2) * z
            for b in range(batches):
                rows.append({"eta_index": p, "eta_0": float(p), "eta_1": 0.0, "setting_id": sid,
                             "estimator": est, "truncation_length": t, "coefficient": c, "meta_discount": 1.0,
                             "hessian": "none", "pairing_group": "mg", "batch": b, "num_samples": n,
                             "mean_0": x[b, :, 0].mean(), "mean_1": x[b, :, 1].mean(),
                             "var_0": x[b, :, 0].var(ddof=1), "var_1": x[b, :, 1].var(ddof=1)})
        x = g_star + 0.01 * rng.standard_normal((batches, 4 * n, 2))
        for b in range(batches):
            rows.append({"eta_index": p, "eta_0": float(p), "eta_1": 0.0, "setting_id": "fd_e0.01",
                         "estimator": "fd", "truncation_length": L - 1, "coefficient": np.nan,
                         "meta_discount": np.nan, "hessian": "none", "pairing_group": "fd", "batch": b,
                         "num_samples": 4 * n, "mean_0": x[b, :, 0].mean(), "mean_1": x[b, :, 1].mean(),
                         "var_0": x[b, :, 0].var(ddof=1), "var_1": x[b, :, 1].var(ddof=1)})
    raw = pd.DataFrame(rows)
    raw["lifetime_length"] = L
    pts, agg = frontier_metrics(raw[raw.estimator != "fd"], raw[raw.estimator == "fd"],
                                num_bootstrap=200, num_grid_bootstrap=200)
    for f in (pts, agg):
        f["lifetime_length"] = L
    return {"frontier_L80/frontier_L80": raw, "frontier_L80/frontier_points": pts,
            "frontier_L80/frontier_aggregate": agg}


def _c2(frames):
    return next(c for c in C.CLAIMS if c.id == "C2").run(C.TableStore(frames=frames), CFG)


def test_holm_step_down():
    rej, level = C.holm([0.01, 0.04, 0.03], 0.05)
    assert rej.tolist() == [True, False, False]   # 0.01 <= 0.05/3; 0.03 > 0.05/2 stops
    assert np.allclose(sorted(level), [0.05 / 3, 0.05 / 2, 0.05])
    assert C.holm([0.001, 0.02], 0.05)[0].all()


def test_c2_variance_rising_with_c_passes():
    res = _c2(synthetic_frontier(lambda t, c: 1.0 + 2.0 * c))
    assert res.verdict == "pass", res.detail
    assert res.tests["result"].eq("holds").all()
    assert res.row()["claim"] == "C2" and set(res.row()) == set(CSV_COLUMNS)


def test_c2_reversed_fails():
    res = _c2(synthetic_frontier(lambda t, c: 3.0 - 2.0 * c))
    assert res.verdict == "fail", res.detail
    assert "Reversed" in res.detail


def test_c2_tiny_samples_inconclusive_with_sample_size():
    frames = synthetic_frontier(lambda t, c: 1.0 + 0.05 * c, n=4, batches=3, shared=False)
    res = _c2(frames)
    assert res.verdict == "inconclusive", res.detail
    need = int(res.detail.split("Would be decided at about ")[1].split()[0].replace(",", ""))
    assert need > 12   # more than the 4 x 3 samples per point it has


def test_c1_and_c3_known_bias():
    # untruncated c = 1 unbiased; bias falls with the window at c > 0; naive biased
    frames = synthetic_frontier(lambda t, c: 1.0 + c,
                                bias=lambda t, c: 0.0 if (t == 79 and c == 1) else 0.05 * (1 - c * t / 79) + 0.01,
                                n=1024, batches=8)
    tables = C.TableStore(frames=frames)
    by = {r.claim: r for r in C.evaluate_claims(tables, CFG, claims=[c for c in C.CLAIMS if c.id in ("C1", "C3")],
                                                findings=False)}
    assert by["C1"].verdict == "pass", by["C1"].detail
    assert by["C1"].ci_low <= 0 <= by["C1"].ci_high
    assert by["C3"].verdict == "pass", by["C3"].detail


def test_missing_tables_not_run():
    out = C.evaluate_claims(C.TableStore(frames={}), CFG)
    assert {r.verdict for r in out} == {"not_run"}
    c11 = next(r for r in out if r.claim == "C11")
    assert "maze" in c11.detail


def _training(rewards: dict, seeds=3, updates=(0, 50, 100), noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    rows, run = [], 0
    for est, final in rewards.items():
        for s in range(seeds):
            for u in updates:
                r = 0.2 + (final - 0.2) * u / updates[-1] + noise * rng.standard_normal()
                rows.append({"estimator": est, "truncation_length": 29, "coefficient": 1.0, "meta_discount": 1.0,
                             "learning_rate": 0.01, "eta0_0": 2.0, "eta0_1": 2.0, "start_index": 0, "seed": s,
                             "run_id": run, "update": u, "eta_0": 2.0, "eta_1": 2.0,
                             "mean_reward": r + 0.001 * s, "mean_reward_se": 0.002, "optimizer": "sgd",
                             "bandits_per_update": 4, "eval_bandits": 16})
            run += 1
    return pd.DataFrame(rows)


def test_c8_learning_curves():
    ups = (0, 25, 50, 75, 100)
    lc = _training({"fd": 0.25, "correction": 0.2502, "naive": 0.22, "dice": 0.21, "dice_correction": 0.25},
                   updates=ups)
    # DiCE + correction fluctuates (+-0.03 alternating over the last half), the others are smooth
    dc = (lc["estimator"] == "dice_correction") & (lc["update"] >= 50)
    lc.loc[dc, "mean_reward"] += np.where(lc.loc[dc, "update"] % 50 == 0, 0.03, -0.03)
    claim = next(c for c in C.CLAIMS if c.id == "C8")
    res = claim.run(C.TableStore(frames={"learning_curves/learning_curves": lc}), CFG)
    assert res.verdict == "pass", res.detail


def test_c12_landscape_bands():
    e = np.linspace(-5, 15, 21)
    rows = []
    for a in e:
        for b in e:
            j = 0.03 + 0.23 * np.exp(-((a - 2.5) ** 2 + (b - 3.5) ** 2) / 8)
            for s in range(2):
                rows.append({"eta_0": a, "eta_1": b, "seed": s, "mean_reward": j, "mean_reward_se": 0.002,
                             "num_lifetimes": 1000})
    claim = next(c for c in C.CLAIMS if c.id == "C12")
    res = claim.run(C.TableStore(frames={"landscape/landscape": pd.DataFrame(rows)}), CFG)
    assert res.verdict == "pass", res.detail
    low = pd.DataFrame(rows).assign(mean_reward=lambda d: d["mean_reward"] * 0.5)
    assert claim.run(C.TableStore(frames={"landscape/landscape": low}), CFG).verdict == "fail"


@pytest.fixture()
def results_folder(tmp_path):
    frames = synthetic_frontier(lambda t, c: 1.0 + 2.0 * c, n=64, batches=4)
    root = tmp_path / "results" / "synthetic"
    for key, df in frames.items():
        p = root / f"{key}.parquet"
        p.parent.mkdir(parents=True, exist_ok=True)
        df.to_parquet(p)
    (root / "frontier_L80" / "frontier_L80.provenance.json").write_text(
        '{"git_commit": "abc", "git_dirty": false, "config_hash": "h", "wall_seconds": 1.5, "rule": "x"}')
    return root


def test_run_audit_writes_csv_and_summary(results_folder):
    df = run_audit(results_folder, CFG)
    assert list(df.columns) == CSV_COLUMNS
    assert df.loc[df["claim"] == "C2", "verdict"].item() == "pass"
    assert df.loc[df["claim"] == "C11", "verdict"].item() == "not_run"
    md = (results_folder / "audit" / "summary.md").read_text()
    assert "## Provenance" in md and "Tables without a provenance record" in md
    assert "frontier_L80/frontier_points.parquet" in md


def test_compare_identical_and_perturbed(results_folder, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(results_folder, other)
    res = compare_folders(results_folder, other)
    assert res["consistent"] and all(t["status"] == "identical" for t in res["tables"])
    p = other / "frontier_L80" / "frontier_L80.parquet"
    d = pd.read_parquet(p)
    d.loc[d["setting_id"] == "mg_k79_c1_g1", "mean_0"] += 1.0   # many standard errors
    d.to_parquet(p)
    (other / "extra.parquet").parent.mkdir(exist_ok=True)
    d.head(2).to_parquet(other / "extra.parquet")
    exact = compare_folders(results_folder, other)
    assert not exact["consistent"] and exact["only_b"] == ["extra.parquet"]
    bad = [t for t in exact["tables"] if t["status"] == "different"]
    assert [t["name"] for t in bad] == ["frontier_L80/frontier_L80.parquet"]
    assert "mean_0" in bad[0]["messages"][0]
    stat = compare_folders(results_folder, other, statistical=True)
    assert not stat["consistent"]
    raw = next(t for t in stat["tables"] if t["name"] == "frontier_L80/frontier_L80.parquet")
    assert raw["status"] == "inconsistent" and any("mg_k79_c1_g1" in m for m in raw["messages"])
    # a tiny perturbation (far below the standard errors) is statistically consistent
    d2 = pd.read_parquet(results_folder / "frontier_L80" / "frontier_L80.parquet")
    d2["mean_0"] += 1e-9
    d2.to_parquet(p)
    assert compare_folders(results_folder, other, statistical=True)["consistent"]


def _png(path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [0, 1])
    fig.savefig(path)
    plt.close(fig)


def test_report_html(results_folder, tmp_path):
    run_audit(results_folder, CFG)
    figs = tmp_path / "figures"
    figs.mkdir()
    _png(figs / "fig9_test.png")
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
    _png(figs / "fig9_test.png")
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
