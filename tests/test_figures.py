"""Figure modules (figures 2-8) and the result-table formatter on small synthetic tables in the
documented formats; no experiment runs."""

from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from metagrad import cli  # noqa: E402
from metagrad import tables as result_tables  # noqa: E402
from metagrad.figures import (coefficient_vs_discount, frontier_bias, frontier_cosine,  # noqa: E402
                              learning_curves, style, trajectories, truncated_curves)

ROOT = Path(__file__).resolve().parents[1]
METRICS = ("bias_raw", "bias_corrected", "variance", "log_variance", "cosine")
CFG = {"profile": "synthetic", "seed": 0, "bandit": {"num_arms": 30, "batch_size": 10}}


# ---------------------------------------------------------------------------------------------
# synthetic tables

def _metric_cols(rng, bias, variance, cosine, noise=2e-5):
    row = {}
    vals = {"bias_raw": bias + noise, "bias_corrected": bias, "variance": variance,
            "log_variance": np.log10(variance), "cosine": cosine}
    for m, v in vals.items():
        e = abs(v) * 0.2 + 1e-6
        row.update({m: v, f"{m}_median": v * 0.9, f"{m}_grid_err": e, f"{m}_ci_low": v - 2 * e,
                    f"{m}_ci_high": v + 2 * e, f"{m}_boot_se": e})
    row.update({"num_points": 4, "samples_per_point": 32.0, "batches_per_point": 2.0,
                "noise_floor": noise})
    return row


def frontier_aggregate(L=80, truncations=(1, 20, 40, 79), coefficients=(0.2, 0.6, 1.0),
                       discounts=(), dice=True, es=True, seed=0):
    rng = np.random.default_rng(seed)
    rows = []

    def add(est, T, c, g, bias, var, cos, hessian="none"):
        rows.append({"setting_id": f"{est}_k{T}_c{c}_g{g}", "estimator": est, "truncation_length": T,
                     "coefficient": c, "meta_discount": g, "hessian": hessian, "pairing_group": "mg",
                     **_metric_cols(rng, bias, var, cos), "lifetime_length": L})

    for T in truncations:
        frac = T / (L - 1)
        add("naive", T, 0.0, 1.0, 4e-4, 1e-3 * (1 + frac), 0.5)
        for c in coefficients:
            b = 4e-4 if T == 1 else 4e-4 * (1 - c * frac)
            v = 1e-3 if T == 1 else 1e-3 + c * frac * 5
            add("mg", T, c, 1.0, b, v, 0.5 + 0.4 * c * frac)
        for g in discounts:
            if g < 1:
                add("naive" if g == 0 else "mg", T, 1.0, g, 4e-4 * (1 - g * frac), 1e-3 + g * frac * 4,
                    0.5 + 0.3 * g * frac)
        if es:
            rows.append({"setting_id": f"es_k{T}", "estimator": "es", "truncation_length": T,
                         "coefficient": np.nan, "meta_discount": np.nan, "hessian": "none",
                         "pairing_group": "es", **_metric_cols(rng, 1e-5, 30 / (1 + frac), 0.95),
                         "lifetime_length": L})
    if dice:
        add("dice", L - 1, 0.0, 1.0, 1.2e-4, 100.0, 0.7, hessian="dice")
    return pd.DataFrame(rows)


def frontier_points(agg):
    rows = []
    for r in agg.itertuples(index=False):
        for i in range(4):
            rows.append({"setting_id": r.setting_id, "eta_index": i, "estimator": r.estimator,
                         "bias_raw": r.bias_raw, "variance": r.variance, "cosine": r.cosine})
    return pd.DataFrame(rows)


FRONTIER_SECTION = {"lifetime_length": 80, "schedule_split_step": 8, "grid_low": 0.5, "grid_high": 2.5,
                    "grid_size": 2, "truncation_lengths": [1, 20, 40, 79],
                    "coefficients": [0.0, 0.2, 0.6, 1.0], "meta_discounts": [], "include_dice": True,
                    "include_es": True, "lifetimes_per_sample": 2, "es_sigma": 0.1, "fd_epsilon": 0.01,
                    "samples_per_batch": 16, "mg_batches": 3, "es_batches": 2, "fd_batches": 5,
                    "fd_samples_per_batch": 32, "scaling_note": "synthetic scaling note"}
L30_SECTION = {**FRONTIER_SECTION, "lifetime_length": 30, "schedule_split_step": 7,
               "truncation_lengths": [1, 8, 22, 29], "meta_discounts": [0.0, 0.5, 0.9, 1.0],
               "include_dice": False, "include_es": False, "grid_low": 1.0, "grid_high": 4.0}


def training_table(estimators, *, seeds=2, updates=(0, 50, 100), starts=((2.0, 2.0),), nan_run=None,
                   truncations=(29,), coefficients=(0.0,), optimizer="sgd"):
    rows, run_id = [], 0
    for est, T, c, (si, (e0, e1)), seed in itertools.product(estimators, truncations, coefficients,
                                                             enumerate(starts), range(seeds)):
        for u in updates:
            f = u / max(updates)
            reward = 0.2 + 0.05 * f * (1 + c) + 0.001 * seed
            if nan_run is not None and (est, seed) == nan_run and u == max(updates):
                reward = np.nan
            rows.append({"estimator": est, "truncation_length": T, "coefficient": c,
                         "meta_discount": 1.0, "learning_rate": 0.01, "eta0_0": e0, "eta0_1": e1,
                         "start_index": si, "seed": seed, "run_id": run_id, "update": u,
                         "eta_0": e0 + 0.6 * f * (2.5 - e0), "eta_1": e1 + 0.6 * f * (3.5 - e1),
                         "mean_reward": reward, "mean_reward_se": 0.01, "optimizer": optimizer,
                         "bandits_per_update": 7, "eval_bandits": 33})
        run_id += 1
    return pd.DataFrame(rows)


def landscape_table(n=8, seeds=2):
    g = np.linspace(-5, 15, n)
    rows = []
    for a, b, s in itertools.product(g, g, range(seeds)):
        rows.append({"eta_0": a, "eta_1": b, "seed": s,
                     "mean_reward": 0.26 - 0.002 * ((a - 2.5) ** 2 + (b - 3.5) ** 2) + 0.001 * s,
                     "mean_reward_se": 0.01, "num_lifetimes": 64})
    return pd.DataFrame(rows)


TRAINING_SECTION = {"lifetime_length": 30, "schedule_split_step": 7, "optimizer": "sgd",
                    "num_updates": 100, "eval_every": 50, "bandits_per_update": 7, "eval_bandits": 33,
                    "num_seeds": 2, "fd_epsilon": 0.1, "scaling_note": "synthetic scaling note"}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _artists(ax) -> int:
    return len(ax.lines) + len(ax.collections) + len(ax.images)


def _check_caption(caption, *needles):
    assert caption.startswith("Figure ")
    assert "synthetic" in caption  # the profile and the scaling note
    for n in needles:
        assert n in caption, (n, caption)


# ---------------------------------------------------------------------------------------------
# frontier figures 4, 5, 8

def test_frontier_bias():
    agg = frontier_aggregate()
    fig, caption = frontier_bias.draw({"frontier_points": frontier_points(agg), "frontier_aggregate": agg},
                                      CFG, FRONTIER_SECTION)
    assert len(fig.axes) == 3  # raw panel, corrected panel, colorbar
    for ax in fig.axes[:2]:
        assert ax.get_yscale() == "log"
        assert _artists(ax) > 10
    # 4 ES + DiCE + naive (truncation 1 collapsed) + 3 truncations x (naive + 3 c)
    assert sum(len(ax.get_lines()) > 0 for ax in fig.axes[:2]) == 2
    _check_caption(caption, "L = 80", "48 samples per point", "160 samples per point", "epsilon = 0.01",
                   "sigma = 0.1", "noise floor", "log scale", "2 x 2")
    assert fig.legends, "the truncation-marker legend is missing"
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert {"truncation 1", "truncation 20", "truncation 40", "no truncation"} <= set(labels)


def test_frontier_cosine():
    agg = frontier_aggregate()
    fig, caption = frontier_cosine.draw({"frontier_points": frontier_points(agg), "frontier_aggregate": agg},
                                        CFG, FRONTIER_SECTION)
    assert len(fig.axes) == 2  # panel + colorbar
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and _artists(ax) > 10
    assert "cosine" in ax.get_xlabel()
    xs = np.concatenate([ln.get_xdata() for ln in ax.get_lines() if len(ln.get_xdata())])
    assert np.nanmax(xs) <= 0  # all synthetic cosines are positive: plotted negated
    _check_caption(caption, "negative cosine", "48 samples per point")


def test_coefficient_vs_discount():
    agg = frontier_aggregate(L=30, truncations=(1, 8, 22, 29), discounts=(0.0, 0.5, 0.9, 1.0),
                             dice=False, es=False)
    fig, caption = coefficient_vs_discount.draw(
        {"frontier_points": frontier_points(agg), "frontier_aggregate": agg}, CFG, L30_SECTION)
    assert len(fig.axes) == 4  # 2 panels + 2 colorbars (c and gamma_m)
    for ax in fig.axes[:2]:
        assert ax.get_yscale() == "log" and _artists(ax) > 10
    assert any("gamma" in ax.get_ylabel() for ax in fig.axes[2:])
    _check_caption(caption, "L = 30", "gamma_m", "48 samples per point")


# ---------------------------------------------------------------------------------------------
# training figures 2, 3, 6, 7

def test_trajectories():
    starts = [(a, b) for a in (1.0, 3.0, 5.0) for b in (1.0, 3.0, 5.0)]
    traj = training_table(["fd", "naive", "correction", "dice"], seeds=1, starts=starts)
    section = {**TRAINING_SECTION, "start_values": [1.0, 3.0, 5.0], "num_seeds": 1,
               "learning_rates": {"fd": 0.01, "naive": 0.05, "correction": 0.01, "dice": 0.01}}
    fig, caption = trajectories.draw({"trajectories": traj, "landscape": landscape_table()}, CFG, section)
    assert len(fig.axes) == 5  # four panels + colorbar
    titles = [ax.get_title() for ax in fig.axes[:4]]
    assert titles == ["Finite differences", "Naive", "Sampling correction", "DiCE"]
    for ax in fig.axes[:4]:
        assert len(ax.collections) >= 1  # the landscape
        assert len(ax.lines) >= 9  # one path per start (plus start/end markers)
        x0, x1 = ax.get_xlim()
        assert -5 <= x0 < 1 and 5 < x1 <= 15  # restricted to the visited region, not the whole grid
    _check_caption(caption, "100 meta-updates", "7 bandits", "33 bandits", "9 starts")


def test_learning_curves_marks_diverged_runs():
    df = training_table(["fd", "naive", "correction", "dice", "dice_correction"], nan_run=("dice", 1))
    section = {**TRAINING_SECTION, "eta_start": [2.0, 2.0]}
    fig, caption = learning_curves.draw({"learning_curves": df}, CFG, section)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert len(ax.lines) == 5 and len(ax.collections) == 5
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Finite differences", "Naive", "Sampling correction", "DiCE",
                      "DiCE + sampling correction"]
    _check_caption(caption, "100 meta-updates", "7 bandits", "33 bandits", "2 seeds", "Diverged", "DiCE seed 1")


@pytest.mark.parametrize("name,optimizer,number", [("truncated_sgd", "sgd", 6), ("truncated_adam", "adam", 7)])
def test_truncated_curves(name, optimizer, number):
    df = training_table(["mg"], truncations=(1, 8, 22, 29), coefficients=(0.0, 0.2, 0.6, 1.0),
                        optimizer=optimizer)
    section = {**TRAINING_SECTION, "optimizer": optimizer, "truncation_lengths": [1, 8, 22, 29],
               "learning_rates": [0.05, 0.05, 0.005, 0.005], "eta_start": [2.0, 2.0]}
    fig, caption = truncated_curves.draw({name: df}, CFG, section)
    assert len(fig.axes) == 4
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("truncation 1") and titles[3].startswith("no truncation")
    for ax in fig.axes:
        assert len(ax.lines) == 4 and len(ax.collections) == 4
    _check_caption(caption, f"Figure {number}", "100 meta-updates", "7 bandits", "33 bandits", "2 seeds")


def test_style_markers_follow_the_paper():
    m = style.truncation_markers([1, 20, 40, 79], 80)
    assert m[1] == "*" and m[79] == "v" and len(set(m.values())) == 4
    assert style.truncation_label(29, 30) == "no truncation"
    assert style.truncation_label(8, 30) == "truncation 8"


# ---------------------------------------------------------------------------------------------
# result tables

def test_write_tables_roundtrip(tmp_path):
    table = result_tables.format_table("frontier_L80", frontier_aggregate())
    paths = result_tables.write_tables("frontier_L80", table, tmp_path)
    assert [p.name for p in paths] == ["frontier_L80.csv", "frontier_L80.md", "frontier_L80.tex"]
    back = pd.read_csv(paths[0])
    assert list(back.columns) == list(table.columns)
    for c in table.columns:
        if pd.api.types.is_numeric_dtype(table[c]):
            np.testing.assert_allclose(back[c].to_numpy(float), table[c].to_numpy(float), rtol=1e-12,
                                       equal_nan=True)
        else:
            assert back[c].astype(str).tolist() == table[c].astype(str).tolist()
    md = paths[1].read_text().splitlines()
    assert len(md) == len(table) + 2  # header, separator, one line per row
    assert md[0].startswith("| estimator") and set(md[1].replace("|", "").replace(" ", "")) <= {"-", ":"}
    assert all(line.count("|") == md[0].count("|") for line in md)
    assert "±" in md[2] and "[" in md[2]  # bias +- grid error, corrected bias [CI]
    tex = paths[2].read_text()
    assert r"\begin{tabular}" in tex and r"\end{tabular}" in tex
    assert tex.count(r"\\") == len(table) + 1
    assert "meta_discount" not in table.columns  # no gamma_m sweep at L = 80


def test_final_performance_table(tmp_path):
    final = pd.DataFrame({
        "estimator": ["naive", "mg"], "truncation_length": [8, 8], "coefficient": [0.0, 1.0],
        "meta_discount": [1.0, 1.0], "learning_rate": [0.05, 0.05], "optimizer": ["sgd", "sgd"],
        "num_runs": [5, 5], "num_diverged": [0, 1], "final_updates": [100, 100],
        "final_mean_reward": [0.25, 0.2534], "final_mean_reward_se": [0.001, np.nan],
        "evaluation_se": [0.002, 0.002], "final_eta_0": [2.1, 2.4], "final_eta_1": [3.0, 3.3]})
    table = result_tables.format_table("truncated_sgd_final", final)
    paths = result_tables.write_tables("truncated_sgd_final", table, tmp_path)
    md = paths[1].read_text().splitlines()
    assert len(md) == 4 and "0.2500 ± 0.0010" in md[2] and "0.2534 " in md[3]
    assert r"\begin{tabular}" in paths[2].read_text()


def test_table_command_line(tmp_path):
    src = tmp_path / "frontier_aggregate.parquet"
    frontier_aggregate(L=30, truncations=(1, 8, 22, 29), discounts=(0.0, 0.5, 1.0), dice=False,
                       es=False).to_parquet(src, index=False)
    out = tmp_path / "tables"
    rc = cli.main(["--root", str(ROOT), "table", "frontier_L30", "--profile", "smoke",
                   "--input", str(src), "--out-dir", str(out)])
    assert rc == 0
    assert {p.name for p in out.iterdir()} >= {"frontier_L30.csv", "frontier_L30.md", "frontier_L30.tex",
                                              "frontier_L30.provenance.json"}
    assert "meta_discount" in pd.read_csv(out / "frontier_L30.csv").columns
