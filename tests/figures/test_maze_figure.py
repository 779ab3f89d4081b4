"""Figure 9 draws from a table alone, with a 3 x 3 grid and the numbers in its caption."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd

from metagrad.figures import maze_gradients


def synthetic():
    rows = []
    for w in np.linspace(-2, 4, 4):
        for seed in range(3):
            for variant, mean, std in (("no_advantage", 0.1, 1.0), ("with_advantage", 0.3, 0.5),
                                       ("fd", 0.1, 0.4), ("with_minus_no", 0.2, 0.6)):
                rows.append({"variant": variant, "w": w, "seed": seed, "mean": mean, "std": std,
                             "se": 0.01, "num_agents": 50, "agents_per_sample": 25,
                             "window_length": 8})
    return pd.DataFrame(rows)


def test_figure_9_grid_and_caption():
    fig, caption = maze_gradients.draw({"maze_gradients": synthetic()}, {"profile": "t"},
                                       {"coefficient": 1.0, "fd_epsilon": 0.1})
    assert len(fig.axes) == 9
    assert "narrower at 4/4 w" in caption
    assert "w = -2: MG, no advantage 0.1" in caption and "MG, with advantage 0.3" in caption
    assert "std (with advantage) 0.5" in caption


def test_pooled_se_combines_seeds():
    s = maze_gradients.pooled(synthetic(), "fd")
    np.testing.assert_allclose(s["se"], 0.01 / np.sqrt(3))
