"""Frontier figures 4, 5 and 8 on synthetic frontier tables."""

import numpy as np
import pytest

from metagrad.figures import coefficient_vs_discount, frontier_bias, frontier_cosine
from synthetic_tables import (CFG, FRONTIER_SECTION, L30_SECTION, artists, check_caption,
                              frontier_aggregate, frontier_tables)


def _panels(fig, n):
    return fig.axes[:n]  # the panels come first, then the colorbars


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def _markers(ax):
    return {ln.get_marker() for ln in ax.lines} - {None, "None", "", "|", "_"}  # less error-bar caps


def _point_data(fig):
    return [np.concatenate([ln.get_xydata().ravel() for ln in ax.lines]) for ax in _panels(fig, 2)]


def test_frontier_bias():
    fig, caption = frontier_bias.draw(frontier_tables(frontier_aggregate()), CFG, FRONTIER_SECTION)
    assert len(fig.axes) == 3  # raw panel, corrected panel, colorbar
    for ax in _panels(fig, 2):
        assert ax.get_yscale() == "log" and artists(ax) > 10
    check_caption(caption, "L = 80", "48 samples per point", "160 samples per point", "epsilon = 0.01",
                  "sigma = 0.1", "noise floor", "log scale", "2 x 2", "At truncation 1")
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert {"truncation 1", "truncation 20", "truncation 40", "no truncation"} <= set(labels)


def test_bias_axis_starts_at_zero():
    fig, _ = frontier_bias.draw(frontier_tables(frontier_aggregate()), CFG, FRONTIER_SECTION)
    assert fig.axes[0].get_xlim()[0] == 0.0


def test_off_scale_point_is_marked_with_its_value_in_both_panels():
    agg = frontier_aggregate(dice_bias=0.18)  # x 1e4: 1,800 against the others' ~4
    fig, caption = frontier_bias.draw(frontier_tables(agg), CFG, FRONTIER_SECTION)
    for ax in _panels(fig, 2):
        marked = [t for t in _texts(ax) if t.startswith("DiCE: 1,800")]
        assert marked, _texts(ax)
        lo, hi = ax.get_xlim()
        assert hi < 100  # the axis is not stretched to the off-scale point
    assert "Off scale" in caption and "DiCE: 1,800" in caption


def test_no_point_is_off_scale_when_all_are_close():
    fig, caption = frontier_bias.draw(frontier_tables(frontier_aggregate()), CFG, FRONTIER_SECTION)
    assert "Off scale" not in caption
    assert not any(":" in t for ax in _panels(fig, 2) for t in _texts(ax))


def test_legacy_mg_code_draws_the_same_figure():
    new, _ = frontier_bias.draw(frontier_tables(frontier_aggregate()), CFG, FRONTIER_SECTION)
    old, _ = frontier_bias.draw(frontier_tables(frontier_aggregate(mg_code="mg")), CFG, FRONTIER_SECTION)
    for a, b in zip(_point_data(new), _point_data(old)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("probes,rescaled", [((400, 16), True), ((2, 2), False), (None, False)])
def test_caption_says_when_the_variance_comes_from_probes(probes, rescaled):
    agg = frontier_aggregate(probes=probes)
    _, caption = frontier_bias.draw(frontier_tables(agg), CFG, FRONTIER_SECTION)
    assert ("rescaled by D/K" in caption) == rescaled
    if rescaled:
        assert "D = 400 meta-parameters, K = 16 probes" in caption


def test_frontier_cosine():
    fig, caption = frontier_cosine.draw(frontier_tables(frontier_aggregate()), CFG, FRONTIER_SECTION)
    assert len(fig.axes) == 2  # panel + colorbar
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and artists(ax) > 10 and "cosine" in ax.get_xlabel()
    xs = np.concatenate([ln.get_xdata() for ln in ax.get_lines() if len(ln.get_xdata())])
    assert np.nanmax(xs) <= 0  # all synthetic cosines are positive: plotted negated
    check_caption(caption, "negative cosine", "48 samples per point")
    assert "Bias is the mean" not in caption


def test_cosine_axis_runs_from_minus_one_to_zero():
    fig, _ = frontier_cosine.draw(frontier_tables(frontier_aggregate()), CFG, FRONTIER_SECTION)
    assert fig.axes[0].get_xlim() == (-1.0, 0.0)


def test_cosine_outside_the_axis_is_marked():
    agg = frontier_aggregate(dice_cosine=-0.5)  # plotted at +0.5, beyond the axis end 0
    fig, caption = frontier_cosine.draw(frontier_tables(agg), CFG, FRONTIER_SECTION)
    assert fig.axes[0].get_xlim() == (-1.0, 0.0)
    assert any(t.startswith("DiCE: 0.5") for t in _texts(fig.axes[0]))
    assert "DiCE: 0.5" in caption


def _l30():
    return frontier_aggregate(L=30, truncations=(1, 8, 22, 29), discounts=(0.0, 0.5, 0.9, 1.0),
                              dice=False, es=False)


def test_coefficient_vs_discount():
    fig, caption = coefficient_vs_discount.draw(frontier_tables(_l30()), CFG, L30_SECTION)
    assert len(fig.axes) == 4  # 2 panels + 2 colorbars (c and gamma_m)
    for ax in _panels(fig, 2):
        assert ax.get_yscale() == "log" and artists(ax) > 10
    assert fig.axes[0].get_xlim()[0] == 0.0
    assert any("gamma" in ax.get_ylabel() for ax in fig.axes[2:])
    check_caption(caption, "L = 30", "gamma_m", "48 samples per point", "diamond = truncation 22")


def test_coefficient_vs_discount_draws_truncation_22_as_a_diamond():
    fig, _ = coefficient_vs_discount.draw(frontier_tables(_l30()), CFG, L30_SECTION)
    for ax in _panels(fig, 2):
        assert _markers(ax) == {"*", "o", "D", "v"}
    legend = {t.get_text(): h.get_marker() for t, h in zip(fig.legends[0].get_texts(),
                                                            fig.legends[0].legend_handles)}
    assert legend["truncation 22"] == "D"


def test_one_wide_interval_does_not_set_the_view():
    """A heavy-tailed interval (DiCE's decisive bias CI reached 100x the other points) is
    clipped at the edge with its end printed, instead of squashing every point."""
    from metagrad.figures.frontier_plot import view_limits

    x = np.array([0.0, 1.0, 2.0])
    err = np.array([[0.1, 0.1, 0.1], [0.1, 0.1, 200.0]])
    lo, hi = view_limits(x, err, np.zeros(3, bool), (None, None))
    assert 2.1 < hi < 3.5 and lo < 0          # at most half the points' spread beyond them
    both = np.array([[0.1, 0.1, 300.0], [0.1, 0.1, 200.0]])
    lo, hi = view_limits(x, both, np.zeros(3, bool), (None, None))
    assert -1.5 < lo < 0 and 2.1 < hi < 3.5   # both ends clipped
    narrow = np.array([[0.1, 0.1, 0.1], [0.1, 0.1, 0.5]])
    assert view_limits(x, narrow, np.zeros(3, bool), (None, None))[1] > 2.5   # kept when modest
