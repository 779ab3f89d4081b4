"""Meta-training figures 2, 3, 6 and 7 on synthetic training tables."""

import numpy as np
import pytest

from metagrad.figures import learning_curves, trajectories, truncated_curves
from synthetic_tables import (CFG, NINE_STARTS, TRAINING_SECTION, check_caption, landscape_table,
                              training_table)

TRAJECTORY_SECTION = {**TRAINING_SECTION, "start_values": [1.0, 3.0, 5.0], "num_seeds": 1,
                      "learning_rates": {"fd": 0.01, "naive": 0.05, "correction": 0.01, "dice": 0.01}}


def _trajectories(**kw):
    traj = training_table(["fd", "naive", "correction", "dice"], seeds=1, starts=NINE_STARTS, **kw)
    return trajectories.draw({"trajectories": traj, "landscape": landscape_table()}, CFG, TRAJECTORY_SECTION)


def _paths(ax):
    return [ln for ln in ax.lines if len(ln.get_xdata()) > 1]


def test_trajectories():
    fig, caption = _trajectories()
    assert len(fig.axes) == 5  # four panels + colorbar
    assert [ax.get_title() for ax in fig.axes[:4]] == ["Finite differences", "Naive", "Sampling correction", "DiCE"]
    for ax in fig.axes[:4]:
        assert len(ax.collections) >= 1 and len(_paths(ax)) == 9  # the landscape, one path per start
        x0, x1 = ax.get_xlim()
        assert -5 <= x0 < 1 and 5 < x1 <= 15  # the visited region, not the whole grid
    check_caption(caption, "100 meta-updates", "7 bandits", "33 bandits", "9 starts",
                  "every path lies inside this window")


@pytest.mark.parametrize("drift", [None, {2: (0.0, 3.0)}], ids=["symmetric", "taller than wide"])
def test_trajectory_panels_are_square_and_hold_every_path(drift):
    fig, caption = _trajectories(drift=drift)
    assert "every path lies inside this window" in caption
    for ax in fig.axes[:4]:
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        assert x1 - x0 == pytest.approx(y1 - y0)
        assert ax.get_aspect() == 1.0
        for ln in _paths(ax):
            x, y = ln.get_xdata(), ln.get_ydata()
            assert x.min() >= x0 and x.max() <= x1 and y.min() >= y0 and y.max() <= y1


def test_a_runaway_path_is_named_in_the_caption():
    fig, caption = _trajectories(drift={8: (0.0, 9.0)})  # the start (5, 5) runs off to eta_1 ~ 15
    assert "paths leaving the window" in caption
    for est in ("Finite differences", "Naive", "Sampling correction", "DiCE"):
        assert f"{est} from eta = (5, 5)" in caption
    y0, y1 = fig.axes[0].get_ylim()
    assert y1 < 12  # the window is not stretched to the runaway


def test_learning_curves_marks_diverged_runs():
    df = training_table(["fd", "naive", "correction", "dice", "dice_correction"], nan_run=("dice", 1))
    fig, caption = learning_curves.draw({"learning_curves": df}, CFG, {**TRAINING_SECTION, "eta_start": [2.0, 2.0]})
    ax = fig.axes[0]
    assert len(fig.axes) == 1 and len(ax.lines) == 5 and len(ax.collections) == 5
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "Finite differences", "Naive", "Sampling correction", "DiCE", "DiCE + sampling correction"]
    check_caption(caption, "100 meta-updates", "7 bandits", "33 bandits", "2 seeds", "Diverged", "DiCE seed 1")


def _truncated(name, optimizer, code="correction"):
    df = training_table([code], truncations=(1, 8, 22, 29), coefficients=(0.0, 0.2, 0.6, 1.0), optimizer=optimizer)
    section = {**TRAINING_SECTION, "optimizer": optimizer, "truncation_lengths": [1, 8, 22, 29],
               "learning_rates": [0.05, 0.05, 0.005, 0.005], "eta_start": [2.0, 2.0]}
    return truncated_curves.draw({name: df}, CFG, section)


@pytest.mark.parametrize("name,optimizer,number", [("truncated_sgd", "sgd", 6), ("truncated_adam", "adam", 7)])
def test_truncated_curves(name, optimizer, number):
    fig, caption = _truncated(name, optimizer)
    assert len(fig.axes) == 4
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("truncation 1") and titles[3].startswith("no truncation")
    for ax in fig.axes[1:]:
        assert len(ax.lines) == 4 and len(ax.collections) == 4  # one line and band per c
    check_caption(caption, f"Figure {number}", "100 meta-updates", "7 bandits", "33 bandits", "2 seeds")


@pytest.mark.parametrize("name,optimizer", [("truncated_sgd", "sgd"), ("truncated_adam", "adam")])
def test_truncated_curves_draw_one_line_where_every_c_is_identical(name, optimizer):
    fig, caption = _truncated(name, optimizer)
    ax = fig.axes[0]  # truncation 1
    assert len(ax.lines) == 1 and len(ax.collections) == 1
    assert "At truncation 1 the runs of every c are identical" in caption
    assert "every c identical" in [t.get_text() for t in ax.texts]


def test_truncated_curves_read_the_legacy_mg_code():
    new, _ = _truncated("truncated_sgd", "sgd")
    old, _ = _truncated("truncated_sgd", "sgd", code="mg")
    for a, b in zip(new.axes, old.axes):
        np.testing.assert_array_equal(np.concatenate([ln.get_ydata() for ln in a.lines]),
                                      np.concatenate([ln.get_ydata() for ln in b.lines]))


def test_truncated_panels_keep_their_width_with_the_paper_axis():
    """The per-panel top label "paper-equivalent updates" (wider than a panel) squeezed the four
    panels to about a sixth of their width; the top axes are now explained once, below."""
    df = training_table(["correction"], truncations=(1, 8, 22, 29), coefficients=(0.0, 1.0), optimizer="adam")
    section = {**TRAINING_SECTION, "optimizer": "adam", "truncation_lengths": [1, 8, 22, 29],
               "learning_rates": [0.01] * 4, "eta_start": [2.0, 2.0], "paper_update_factor": 10}
    fig, _ = truncated_curves.draw({"truncated_adam": df}, CFG, section)
    fig.canvas.draw()
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(panels) == 4
    assert min(ax.get_position().width for ax in panels) > 0.15
    assert "top axes: paper-equivalent updates, x 10" in fig._supxlabel.get_text()
