"""One vocabulary for estimators: codes used in tables, their labels, colours and order.

Every experiment writes one of these codes in its ``estimator`` column, and every table,
figure and audit row reads labels and colours from here (never from a dictionary of its own).

- ``naive``: MG without sampling correction (c = 0, gamma_m = 0, or truncation length 0);
- ``correction``: MG with sampling correction (any c > 0 or gamma_m > 0; the ``coefficient``,
  ``meta_discount`` and ``truncation_length`` columns say which one);
- ``dice`` / ``dice_correction``: the inner update built on DiCE's magic box (Foerster et al.,
  2018), without / with sampling correction;
- ``es``: antithetic evolution strategies (Salimans et al., 2017); ``pes``: persistent ES
  (Vicol et al., 2021, ours); ``fd``: finite differences with common random numbers, the
  reference.
"""

from __future__ import annotations

from typing import NamedTuple


class EstimatorName(NamedTuple):
    code: str
    label: str          # as in the paper's legends
    short: str          # compact form for table cells
    color: str          # fixed colour (the paper's learning-curve colours, tab10 order)
    extension: bool     # beyond the paper (ours)


ESTIMATORS: dict[str, EstimatorName] = {e.code: e for e in (
    EstimatorName("fd", "Finite differences", "FD", "#1f77b4", False),
    EstimatorName("naive", "Naive", "naive", "#ff7f0e", False),
    EstimatorName("correction", "Sampling correction", "sampling correction", "#2ca02c", False),
    EstimatorName("dice", "DiCE", "DiCE", "#d62728", False),
    EstimatorName("dice_correction", "DiCE + sampling correction", "DiCE + sampling correction",
                  "#9467bd", False),
    EstimatorName("es", "ES", "ES", "#0033ff", False),
    EstimatorName("pes", "PES (ours)", "PES", "#8c564b", True),
)}

ORDER: tuple[str, ...] = tuple(ESTIMATORS)


def estimator(code: str) -> EstimatorName:
    """The entry for ``code``; a ``KeyError`` naming the allowed codes otherwise."""
    try:
        return ESTIMATORS[code]
    except KeyError:
        raise KeyError(f"unknown estimator code {code!r}; allowed: {', '.join(ORDER)}") from None


def label(code: str) -> str:
    return estimator(code).label


def short_label(code: str) -> str:
    return estimator(code).short


def color(code: str) -> str:
    return estimator(code).color


def order_key(code: str) -> int:
    """Sort key: the vocabulary's order; unknown codes last."""
    return ORDER.index(code) if code in ESTIMATORS else len(ORDER)


def mg_code(coefficient: float, meta_discount: float, truncation_length: int,
            hessian: str = "none") -> str:
    """The code of one MG setting (the rule in this module's docstring)."""
    corrected = coefficient != 0 and meta_discount != 0 and truncation_length != 0
    if hessian == "dice":
        return "dice_correction" if corrected else "dice"
    return "correction" if corrected else "naive"


# Codes written by earlier versions of the experiments, read as their current code.
LEGACY_CODES: dict[str, str] = {"mg": "correction"}  # MG with c > 0 or gamma_m > 0


def canonical(code: str) -> str:
    """The current code for ``code`` (a legacy code maps to its replacement)."""
    return LEGACY_CODES.get(code, code)
