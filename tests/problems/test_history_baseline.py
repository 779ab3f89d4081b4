"""The history baseline (ours): b_j = R_{j-1} keeps every MG estimator's exact mean, and it is
not a no-op (it changes single estimates)."""

import dataclasses

import jax
import numpy as np
import pytest

from metagrad.estimators import MGSetting, make_mg
from metagrad.estimators.base import sample_grads
from metagrad.estimators.exact import exact_mg_mean
from metagrad.problems.history_baseline import HistoryBaseline
from tiny_bandits import TINY_PROBLEMS, tiny_problem

ETA = np.array([0.3, 1.2], np.float32)
SETTINGS = [MGSetting(3, 1.0), MGSetting(1, 1.0), MGSetting(2, 0.5, 0.8),
            MGSetting(3, 1.0, hessian="dice"), MGSetting(3, 0.0, hessian="dice")]


@pytest.mark.parametrize("name", ["K3_B1_L4"])
@pytest.mark.parametrize("setting", SETTINGS, ids=str)
def test_history_baseline_keeps_the_exact_mean(name, setting):
    plain = tiny_problem(*TINY_PROBLEMS[name])
    if setting.truncation_length >= plain.lifetime_length:
        setting = dataclasses.replace(setting, truncation_length=plain.lifetime_length - 1)
    a = np.asarray(exact_mg_mean(plain, setting, ETA))
    b = np.asarray(exact_mg_mean(HistoryBaseline(plain, pilot=False), setting, ETA))
    np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6 * np.abs(a).max())


def test_history_baseline_changes_single_estimates_but_not_naive():
    plain = tiny_problem(*TINY_PROBLEMS["K3_B1_L4"])
    settings = [MGSetting(3, 1.0), MGSetting(1, 0.0)]
    key = jax.random.PRNGKey(3)
    a = np.asarray(sample_grads(make_mg(plain, settings), key, ETA))
    b = np.asarray(sample_grads(make_mg(HistoryBaseline(plain, pilot=False), settings), key, ETA))
    assert np.abs(a[0] - b[0]).max() > 1e-3          # the correction moved
    np.testing.assert_allclose(a[1], b[1], rtol=1e-6)   # naive has no correction term


def test_pilot_enumeration_is_refused():
    with pytest.raises(ValueError, match="pilot=False"):
        exact_mg_mean(HistoryBaseline(tiny_problem(*TINY_PROBLEMS["K2_B2_L3"])), MGSetting(2, 1.0), ETA)
