"""Brax MAML claims M1-M4 (ours, beyond the paper; spec section 7; issue 13), registered before
the default results were looked at. They read the raw ``brax_maml`` table (batch means and
variances of every estimator on the same samples, and the independent FD batches) and test with
the paired batch bootstrap of :mod:`metagrad.summaries.brax_maml`:

- M1 variance order first-order <= naive < DiCE << sampling correction (trace variances,
  paired log ratios: naive >= first-order within 10 %, DiCE > naive, correction > 10x DiCE);
- M2 the sampling correction (raw and with the sibling baseline) is unbiased along the FD
  directions: noise-corrected directional bias below delta in each group, and not significantly
  above 0;
- M3 naive, first-order and DiCE are biased (noise-corrected directional bias > 0, pooled
  directions), or the sample size that would show it;
- M4 DiCE's extra Hessian term adds bias: the mean of DiCE minus naive on the same samples
  (the term DiCE adds to every c, so DiCE + correction's bias) is not zero along the directions.

delta (the smallest directional bias of interest) = 10 % of the FD reference's noise-corrected
mean squared directional derivative in the group (a directional error of about 32 % of the
derivative's root mean square).
"""

from __future__ import annotations

import math

import numpy as np

from metagrad.audit.settings import AuditSettings
from metagrad.audit.stats import Test
from metagrad.audit.store import MissingTable
from metagrad.audit.verdict import finish, fmt

SECTION = "brax_maml"
TABLES = (f"{SECTION}/{SECTION}",)
DELTA_FRACTION = 0.1
UNIT = "estimator samples"


def _data(tables):
    from metagrad.summaries import brax_maml as S

    def compute():
        data = S.load(tables.get(TABLES[0]))
        return data, S.statistics(data), S.bootstrap(data)

    return tables.cached("brax_maml_bootstrap", compute)


def _index(data, key: str) -> int:
    keys = list(data.settings["setting_key"])
    if key not in keys:
        raise MissingTable(f"{TABLES[0]} (no {key!r} rows)")
    return keys.index(key)


def _group(name: str) -> int:
    from metagrad.summaries.brax_maml import GROUPS
    return GROUPS.index(name)


def _samples(data) -> int:
    return int(data.means.shape[0] * data.samples)


def _delta(point, group: str) -> float:
    return DELTA_FRACTION * float(point["fd_norm2"][0, _group(group)])


def _log_ratio(boot, point, a: int, b: int):
    est = math.log(point["trace_var"][a] / point["trace_var"][b])
    se = float(np.std(np.log(boot["trace_var"][:, a] / boot["trace_var"][:, b]), ddof=1))
    return est, se


def check_m1(tables, cfg):
    s = AuditSettings.from_cfg(cfg)
    data, point, boot = _data(tables)
    fo, naive, dice, corr = (_index(data, k) for k in ("first_order", "naive", "dice", "correction"))
    n = _samples(data)
    tests = []
    for label, a, b, threshold, sesoi in (
            ("naive >= first-order (within 10 %)", naive, fo, -math.log(1.1), math.log(1.1)),
            ("DiCE > naive", dice, naive, 0.0, math.log(1.1)),
            ("correction > 10x DiCE", corr, dice, math.log(10.0), math.log(2.0))):
        est, se = _log_ratio(boot, point, a, b)
        tests.append(Test(f"log var ratio: {label}", est, se, threshold, "greater", sesoi, n, UNIT))
    tv = {k: point["trace_var"][_index(data, k)] for k in ("first_order", "naive", "dice", "correction")}
    summary = ("Trace variances (single sample, full D = " f"{data.num_meta_params}): "
               + ", ".join(f"{k} {fmt(v)}" for k, v in tv.items()) + ".")
    return finish("M1", tests, s, "paired log trace-variance ratios", summary)


def _bias_test(data, point, boot, key: str, group: str, direction: str, required: bool, label: str):
    i, j = _index(data, key), _group(group)
    est = float(point["bias"][i, j])
    se = float(np.std(boot["bias"][:, i, j], ddof=1))
    delta = _delta(point, group)
    threshold = delta if (direction == "less" and required) else 0.0
    return Test(label, est, se, threshold, direction, delta if required else None,
                _samples(data), UNIT, required=required)


def check_m2(tables, cfg):
    s = AuditSettings.from_cfg(cfg)
    data, point, boot = _data(tables)
    tests = []
    for key in ("correction", "correction_sibling"):
        for group in ("output", "all"):
            tests.append(_bias_test(data, point, boot, key, group, "less", True,
                                    f"{key} bias < δ ({group})"))
            tests.append(_bias_test(data, point, boot, key, group, "less", False,
                                    f"{key} bias not > 0 ({group})"))
    deltas = ", ".join(f"{g} {fmt(_delta(point, g))}" for g in ("output", "all"))
    return finish("M2", tests, s, "noise-corrected directional bias against FD",
                  f"δ (10 % of FD's mean squared directional derivative): {deltas}.")


def check_m3(tables, cfg):
    s = AuditSettings.from_cfg(cfg)
    data, point, boot = _data(tables)
    tests = [_bias_test(data, point, boot, key, "pooled", "greater", True, f"{key} bias > 0 (pooled)")
             for key in ("naive", "first_order", "dice")]
    for t in tests:
        t.sesoi = _delta(point, "pooled")
    j = _group("pooled")
    rms = math.sqrt(max(float(point["fd_norm2"][0, j]), 0.0))
    bounds = "; ".join(
        f"{t.label.split(' ')[0]} <= {fmt(t.estimate + 1.645 * t.se)} (|error| per direction "
        f"<= {fmt(math.sqrt(max(t.estimate + 1.645 * t.se, 0.0)))})" for t in tests)
    note = (f"One-sided 95 % upper bounds on the squared directional bias: {bounds}; the FD "
            f"reference's rms directional derivative is {fmt(rms)}.")
    return finish("M3", tests, s, "noise-corrected directional bias against FD (all K directions)",
                  f"δ = {fmt(_delta(point, 'pooled'))} (pooled).", notes=[note])


def check_m4(tables, cfg):
    s = AuditSettings.from_cfg(cfg)
    data, point, boot = _data(tables)
    i, j = _index(data, "dice_extra"), _group("pooled")
    est = float(point["magnitude"][i, j])
    se = float(np.std(boot["magnitude"][:, i, j], ddof=1))
    delta = _delta(point, "pooled")
    test = Test("mean of DiCE − naive ≠ 0 (squared, pooled)", est, se, 0.0, "greater", delta,
                _samples(data), UNIT)
    d, n = _index(data, "dice"), _index(data, "naive")
    diff = float(point["bias"][d, j] - point["bias"][n, j])
    diff_se = float(np.std(boot["bias"][:, d, j] - boot["bias"][:, n, j], ddof=1))
    note = (f"For reference (not tested): bias(DiCE) − bias(naive) against FD = {fmt(diff)} "
            f"[{fmt(diff - 1.96 * diff_se)}, {fmt(diff + 1.96 * diff_se)}] (± 1.96 paired "
            f"bootstrap s.e.), δ = {fmt(delta)}.")
    return finish("M4", [test], s, "noise-corrected squared directional mean of DiCE − naive",
                  "DiCE's Hessian term, measured paired on the same samples.", notes=[note])
