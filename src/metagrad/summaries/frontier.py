"""Frontier metrics (spec section 4) from a frontier experiment's table.

Outputs ``frontier_points`` (per setting and eta point) and ``frontier_aggregate`` (per
setting: grid means as the paper reports them, medians, the paper's error bar, batch-bootstrap
CIs), computed once so that figures, tables and the audit read the same numbers.
"""

from __future__ import annotations

from metagrad.metrics import frontier_metrics

NUM_BOOTSTRAP = 1000


def summarize(tables: dict, cfg: dict, section: dict) -> dict:
    (table,) = tables.values()
    estimates = table[table["estimator"] != "fd"]
    reference = table[table["estimator"] == "fd"]
    per_point, aggregate = frontier_metrics(estimates, reference, num_bootstrap=NUM_BOOTSTRAP,
                                            seed=cfg["seed"])
    for frame in (per_point, aggregate):
        frame["lifetime_length"] = int(table["lifetime_length"].iloc[0])
    return {"frontier_points": per_point, "frontier_aggregate": aggregate}
