"""Frontier metrics (spec section 4) from a frontier experiment's table.

Outputs, computed once so that figures, tables and the audit read the same numbers:

- ``frontier_points`` / ``frontier_aggregate``: per setting and eta point / per setting (grid
  means as the paper reports them, medians, the paper's error bar, batch-bootstrap CIs) of the
  raw estimators (``mg``, ``es``) and the variance-reduced ones (``mg_rb``) against the FD
  reference: the paper's metric. Every MG and ES row also gets the decisive columns (ours):
  ``bias_decisive`` (+ ``_ci_low``/``_ci_high``/``_boot_se``/``_median``) - for MG settings the
  noise-corrected squared mean of the paired difference to untruncated c = 1 on the same
  lifetimes, for ES the noise-corrected bias of its variance-reduced rows against the
  variance-reduced untruncated c = 1 rows (independent samples; c = 1 is proven unbiased, so
  this is E[ES] - grad J with neither FD's noise nor its epsilon smoothing; per point in
  ``frontier_points`` too) - with ``bias_decisive_source``; and
  ``cosine_pooled`` (+ CI): the grid-pooled, noise-corrected cosine to the untruncated c = 1
  mean (:func:`metagrad.metrics.pooled_cosine`).
- ``frontier_points_paired`` / ``frontier_aggregate_paired``: the paired differences'
  metrics against a zero reference (the audit bootstraps them batch by batch).
- ``fd_smoothing``: per point, the paired FD difference at ``fd_check_epsilon`` minus
  ``fd_epsilon`` (mean, s.e., z per coordinate) and its grid summary.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metagrad.metrics import (coordinates, frontier_metrics, pool_batches, pooled_cosine,
                              zero_reference)

NUM_BOOTSTRAP = 1000
DECISIVE = ("bias_corrected", "bias_corrected_ci_low", "bias_corrected_ci_high",
            "bias_corrected_boot_se", "bias_corrected_median")


def _base_id(sid: str) -> str:
    for suffix in ("_rb", "_paired"):
        if sid.endswith(suffix):
            return sid[: -len(suffix)]
    return sid


def _reference_id(table: pd.DataFrame) -> str | None:
    rb = table[table["pairing_group"] == "mg_rb"]
    L = int(table["lifetime_length"].iloc[0])
    ref = rb[(rb["truncation_length"] == L - 1) & (rb["hessian"] == "none")
             & np.isclose(rb["coefficient"].astype(float), 1.0)
             & np.isclose(rb["meta_discount"].astype(float), 1.0)]
    return None if ref.empty else str(ref["setting_id"].iloc[0])


def _es_decisive(table: pd.DataFrame, ref_id: str | None, seed: int):
    """ES's decisive bias (ours): its variance-reduced rows (``es_rb``) against the
    variance-reduced untruncated c = 1 rows ``ref_id`` as the reference. ES cannot be paired with
    c = 1 (different lifetimes), so the two are independent samples; the exact tests prove c = 1
    unbiased, so the noise-corrected squared difference is unbiased for ES's squared bias against
    grad J, without FD's sampling noise or its epsilon smoothing. ``(per_point, aggregate)`` or
    None where there are no such rows."""
    es = table[table["pairing_group"] == "es_rb"]
    if es.empty or ref_id is None:
        return None
    return frontier_metrics(es, table[table["setting_id"] == ref_id],
                            num_bootstrap=NUM_BOOTSTRAP, seed=seed + 2)


ES_DECISIVE_SOURCE = ("variance-reduced ES rows against variance-reduced untruncated c = 1 "
                      "(independent samples)")


def _decisive(aggregate: pd.DataFrame, paired_aggregate: pd.DataFrame | None,
              es_aggregate: pd.DataFrame | None = None) -> pd.DataFrame:
    out = aggregate.copy()
    for column in DECISIVE:
        out[column.replace("bias_corrected", "bias_decisive")] = np.nan
    out["bias_decisive_source"] = ""
    es_rows = ({} if es_aggregate is None else
               {s: row for s, row in es_aggregate.set_index("setting_id").iterrows()})
    paired = ({} if paired_aggregate is None else
              {_base_id(s): row for s, row in paired_aggregate.set_index("setting_id").iterrows()})
    for i, row in out.iterrows():
        base = _base_id(row["setting_id"])
        if row["pairing_group"] in ("mg", "mg_rb") and base in paired:
            source, values = "paired difference to untruncated c = 1 (same lifetimes)", paired[base]
        elif row["pairing_group"] in ("es", "es_rb") and f"{base}_rb" in es_rows:
            source, values = ES_DECISIVE_SOURCE, es_rows[f"{base}_rb"]
        elif row["pairing_group"] == "es":
            source, values = "against the FD reference", row
        else:
            continue
        for column in DECISIVE:
            out.loc[i, column.replace("bias_corrected", "bias_decisive")] = values[column]
        out.loc[i, "bias_decisive_source"] = source
    return out


def _es_decisive_points(per_point: pd.DataFrame, es_points: pd.DataFrame | None) -> pd.DataFrame:
    """``frontier_points`` with ES's per-point decisive bias (``bias_decisive`` and its 95 %
    CI) on its raw and variance-reduced rows; NaN elsewhere."""
    cols = ["bias_corrected", "bias_corrected_ci_low", "bias_corrected_ci_high"]
    out = per_point.copy()
    for c in cols:
        out[c.replace("bias_corrected", "bias_decisive")] = np.nan
    if es_points is None:
        return out
    values = es_points.set_index(["setting_id", "eta_index"])[cols]
    for sid in es_points["setting_id"].unique():
        for target in (sid, _base_id(sid)):
            mask = out["setting_id"] == target
            v = values.loc[sid].reindex(out.loc[mask, "eta_index"]).to_numpy(float)
            out.loc[mask, [c.replace("bias_corrected", "bias_decisive") for c in cols]] = v
    return out


def _cosines(table: pd.DataFrame, aggregate: pd.DataFrame, ref_id: str, seed: int) -> pd.DataFrame:
    """``cosine_pooled``: to the untruncated c = 1 mean (paired for MG settings, whose own
    cosine there is 1 by construction); ``cosine_pooled_fd``: to the FD reference (independent
    samples), for every MG setting (its variance-reduced rows) and ES."""
    pooled = pool_batches(table[table["pairing_group"].isin(["mg_rb", "mg_paired", "es", "es_rb"])])
    by_id = {sid: g for sid, g in pooled.groupby("setting_id")}
    fd = table[table["pairing_group"] == "fd"]
    fd = pool_batches(fd.assign(setting_id="fd", batch=fd.groupby(["setting_id", "batch"]).ngroup()))
    out = aggregate.copy()
    for name in ("cosine_pooled", "cosine_pooled_fd"):
        for suffix in ("", "_ci_low", "_ci_high", "_boot_se"):
            out[name + suffix] = np.nan
    reference = by_id[ref_id]
    for i, row in out.iterrows():
        base = _base_id(row["setting_id"])
        if row["pairing_group"] in ("mg", "mg_rb") and f"{base}_rb" in by_id:
            estimate, paired = by_id[f"{base}_rb"], by_id.get(f"{base}_paired")
        elif row["pairing_group"] in ("es", "es_rb"):   # the variance-reduced rows where present
            estimate = by_id.get(f"{base}_rb", by_id[row["setting_id"]])
            paired = None
        else:
            continue
        for name, result in (
                ("cosine_pooled", pooled_cosine(estimate, reference, paired, seed=seed + i)),
                ("cosine_pooled_fd", pooled_cosine(estimate, fd, None, seed=seed + i))):
            out.loc[i, name] = result["cosine"]
            out.loc[i, name + "_ci_low"] = result["ci_low"]
            out.loc[i, name + "_ci_high"] = result["ci_high"]
            out.loc[i, name + "_boot_se"] = result["boot_se"]
    return out


def _smoothing(table: pd.DataFrame) -> pd.DataFrame:
    check = table[(table["pairing_group"] == "fd_check")
                  & (table["setting_id"].str.endswith("smoothing_difference"))]
    if check.empty:
        return pd.DataFrame({"eta_index": pd.Series(dtype=int),
                             "note": pd.Series(dtype=str)})
    pooled = pool_batches(check)
    rows = pooled[["eta_index", *[f"eta_{d}" for d in coordinates(pooled, "eta")], "N"]].copy()
    z = []
    for d in coordinates(pooled):
        rows[f"difference_{d}"] = pooled[f"mean_{d}"]
        rows[f"se_{d}"] = pooled[f"se_{d}"]
        rows[f"z_{d}"] = pooled[f"mean_{d}"] / pooled[f"se_{d}"]
        z.append(rows[f"z_{d}"].to_numpy(float))
    z = np.stack(z, axis=1)
    rows["max_abs_z"] = np.abs(z).max(axis=1)
    rows["grid_max_abs_z"] = float(np.abs(z).max())
    # under no smoothing bias, sum z^2 over points and coordinates is chi^2 with P * D d.o.f.
    rows["grid_chi2"] = float((z ** 2).sum())
    rows["grid_dof"] = int(z.size)
    return rows


def summarize(tables: dict, cfg: dict, section: dict) -> dict:
    (table,) = tables.values()
    L = int(table["lifetime_length"].iloc[0])
    estimates = table[table["pairing_group"].isin(["mg", "es", "mg_rb", "es_rb"])]
    reference = table[table["pairing_group"] == "fd"]
    per_point, aggregate = frontier_metrics(estimates, reference, num_bootstrap=NUM_BOOTSTRAP,
                                            seed=cfg["seed"])
    outputs = {}
    paired = table[table["pairing_group"] == "mg_paired"]
    paired_aggregate = None
    if not paired.empty:
        paired_points, paired_aggregate = frontier_metrics(
            paired, zero_reference(paired), num_bootstrap=NUM_BOOTSTRAP, seed=cfg["seed"] + 1)
        outputs["frontier_points_paired"] = paired_points
        outputs["frontier_aggregate_paired"] = paired_aggregate
    ref_id = _reference_id(table)
    es_decisive = _es_decisive(table, ref_id, cfg["seed"])
    aggregate = _decisive(aggregate, paired_aggregate,
                          None if es_decisive is None else es_decisive[1])
    per_point = _es_decisive_points(per_point, None if es_decisive is None else es_decisive[0])
    if ref_id is not None:
        aggregate = _cosines(table, aggregate, ref_id, cfg["seed"])
    outputs = {"frontier_points": per_point, "frontier_aggregate": aggregate, **outputs}
    outputs["fd_smoothing"] = _smoothing(table)
    for frame in outputs.values():
        frame["lifetime_length"] = L
    return outputs
