"""Throwaway stand-ins for modules other issues provide (used only by the plumbing tests)."""

FAKE_LANDSCAPE_SOURCE = '''
"""FAKE landscape experiment for plumbing tests (not science)."""
import numpy as np
import pandas as pd


def run(cfg, section, name, progress, checkpoint_dir=None):
    g = np.linspace(section["grid_low"], section["grid_high"], section["grid_size"])
    e0, e1 = np.meshgrid(g, g, indexing="ij")
    progress.set_total(e0.size)
    rows = []
    n = section["num_bandits"] * section["num_iterations"] * section["num_seeds"]
    for a, b in zip(e0.ravel(), e1.ravel()):
        j = 0.26 * np.exp(-((a - 2.5) ** 2 + (b - 3.5) ** 2) / 20.0) + 0.03
        rows.append(dict(eta_0=a, eta_1=b, mean_reward=j, mean_reward_se=0.001, num_lifetimes=n))
        progress.update(1)
    return pd.DataFrame(rows)
'''
