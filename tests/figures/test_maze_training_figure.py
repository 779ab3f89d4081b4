"""Figure 10 draws from a table alone: one panel per estimator family (MG per learning rate,
ES, PES), the final rewards of every setting in its caption, and what is ours said there."""

import numpy as np
import pandas as pd

from metagrad.figures import maze_training
from metagrad.summaries.maze_training import final_rewards

TOTAL, FINAL, EVERY = 800, 200, 100


def synthetic(mg_rates=(1e-4,)):
    rows = []
    settings = [("mg", t, c, lr) for t in (8, 64) for c in (0.0, 1.0) for lr in mg_rates]
    settings += [("es", 8, np.nan, 0.025), ("es", 64, np.nan, 0.025), ("pes", 8, np.nan, 0.025)]
    for family, t, c, lr in settings:
        level = {"mg": 0.01 * t / 64 + 0.02 * (0 if np.isnan(c) else c), "es": 0.05,
                 "pes": 0.07}[family]
        code = family if family != "mg" else ("correction" if c else "naive")
        for seed in range(3):
            for end in range(EVERY, TOTAL + 1, EVERY):
                late = end > TOTAL - FINAL
                rows.append({"configuration": f"{family}_T{t}", "estimator": code,
                             "family": family, "truncation_length": t, "coefficient": c,
                             "learning_rate": lr, "seed": seed, "update": end // 80,
                             "env_steps": end, "reward_per_step": (level if late else -0.04)
                             + 0.001 * seed, "reward_per_step_se": 0.002, "ent_coef": 0.4,
                             "flips": end / 400, "num_agents": 10, "flip_interval": 400,
                             "env_steps_total": TOTAL, "final_env_steps": FINAL})
    return pd.DataFrame(rows)


SECTION = {"adam_eps": 1e-4, "es_sigma": 0.04, "es_sigma_decay": 0.975, "es_sigma_min": 0.01,
           "paper_update_factor": 25, "pes_horizon": 80, "scaling_note": "synthetic sizes."}


def test_figure_10_panels_caption_and_final_numbers():
    fig, caption = maze_training.draw({"maze_training": synthetic()}, {"profile": "t"}, SECTION)
    titles = [ax.get_title() for ax in fig.axes][:3]
    assert titles == ["MG (outer Adam, lr 0.0001)", "online truncated ES", "PES (ours)"]
    # every setting's final reward per step, from the final stretch only
    assert "MG c=1 T=64 lr=0.0001: 0.031" in caption
    assert "ES T=64: 0.051" in caption and "PES (ours) T=8: 0.071" in caption
    assert "PES (Persistent ES, Vicol et al. 2021) is ours" in caption
    assert "clamped their ES to 1e-3" in caption and "learning rate 0.025" in caption
    assert "Scaling: synthetic sizes." in caption
    # one line per setting: MG panel 4 (2 windows x 2 c), ES 2, PES 1
    assert [len(ax.get_lines()) for ax in fig.axes] == [4, 2, 1] * 2   # reward, ent_coef


def test_one_mg_panel_per_learning_rate():
    fig, _ = maze_training.draw({"maze_training": synthetic((1e-6, 5e-6))}, {"profile": "t"},
                                SECTION)
    assert len(fig.axes) == 2 * 4


def test_final_rewards_average_the_final_stretch_of_each_run():
    finals = final_rewards(synthetic())
    es = finals[(finals["family"] == "es") & (finals["truncation_length"] == 64)]
    np.testing.assert_allclose(es.sort_values("seed")["final_reward"], [0.05, 0.051, 0.052])
    assert (finals["rows"] == FINAL // EVERY).all()
