"""Claims M1-M4 (Brax MAML, ours) on synthetic tables whose truth is known: every claim passes
on a table built to satisfy it and does not pass when the property it tests is broken."""

import numpy as np
import pytest

from audit_synthetic import CFG
from metagrad.audit import CLAIMS, TableStore
from metagrad.experiments.brax_maml import setting_rows, to_table
from metagrad.summaries.brax_maml import summarize_table

K, D, N, NF, B, BF = 8, 1506, 10 ** 6, 10 ** 5, 16, 8
GRAD = np.array([0.04, -0.03, 0.035, 0.03, 0.01, -0.01, 0.012, 0.008])   # 4 output, 4 all
TRACE = {"first_order": 90.0, "naive": 120.0, "c0.5": 4000.0, "correction": 1.8e4,
         "dice": 360.0, "dice_correction": 1.8e4, "correction_sibling": 240.0, "dice_extra": 250.0}
OFFSET = {"naive": 0.03, "first_order": 0.035, "dice": -0.02, "c0.5": 0.015,
          "dice_correction": -0.05}


@pytest.fixture(autouse=True)
def fewer_resamples(monkeypatch):
    """300 bootstrap resamples (the audit's 2,000 cost seconds per table; the synthetic
    effects are tens of standard errors)."""
    import metagrad.summaries.brax_maml as S
    monkeypatch.setattr(S, "NUM_RESAMPLES", 300)


def raw_table(seed=0, trace=None, offset=None):
    """Batch means ~ N(mean, var / N) of every row, mean = GRAD + offset along each direction."""
    rng = np.random.default_rng(seed)
    trace, offset = {**TRACE, **(trace or {})}, {**OFFSET, **(offset or {})}
    rows = setting_rows([0.0, 0.5, 1.0])
    keys = [r["setting_key"] for r in rows]
    mean = np.stack([GRAD + offset.get(k, 0.0) for k in keys])
    mean[keys.index("dice_extra")] = (mean[keys.index("dice")] - mean[keys.index("naive")]
                                      if "dice_extra" not in offset else offset["dice_extra"])
    var = np.stack([np.full(K, trace[k] / D) for k in keys])
    mg = [(mean + rng.normal(size=mean.shape) * np.sqrt(var / N), var,
           np.array([trace[k] for k in keys]) * (1 + 0.01 * rng.normal(size=len(keys))))
          for _ in range(B)]
    fd_var = np.full((1, K), 0.02 ** 2)
    fd = [(GRAD[None] + rng.normal(size=(1, K)) * np.sqrt(fd_var / NF), fd_var, fd_var.sum(-1))
          for _ in range(BF)]
    return to_table({"mg": mg, "fd": fd}, rows, N, NF, D, K)


def verdicts(raw):
    store = TableStore(frames={"brax_maml/brax_maml": raw})
    return {c.id: c.run(store, CFG).verdict for c in CLAIMS if c.id.startswith("M")}


def test_every_claim_passes_on_a_table_that_satisfies_it():
    assert verdicts(raw_table()) == {"M1": "pass", "M2": "pass", "M3": "pass", "M4": "pass"}


@pytest.mark.parametrize("change, claim", [
    (dict(trace={"dice": 100.0}), "M1"),                      # DiCE below naive
    (dict(trace={"first_order": 200.0}), "M1"),               # first-order above naive
    (dict(offset={"correction": 0.03}), "M2"),                # a biased correction
    (dict(offset={"correction_sibling": 0.03}), "M2"),
    (dict(offset={"naive": 0.0}), "M3"),                      # an unbiased naive
    (dict(offset={"dice": 0.0, "naive": 0.0}), "M4"),         # no Hessian-term mean
])
def test_a_claim_does_not_pass_when_its_property_is_broken(change, claim):
    assert verdicts(raw_table(**change))[claim] != "pass"


def test_summary_recovers_the_known_biases():
    summary = summarize_table(raw_table(), num_resamples=200)
    pooled = summary[summary["group"] == "pooled"].set_index("setting_key")
    assert pooled.loc["naive", "bias"] == pytest.approx(0.03 ** 2, rel=0.05)
    assert abs(pooled.loc["correction", "bias"]) < 1e-5
    assert pooled.loc["correction", "trace_var"] == pytest.approx(1.8e4, rel=0.02)
    assert pooled.loc["correction", "cosine"] == pytest.approx(1.0, abs=1e-3)
