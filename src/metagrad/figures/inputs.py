"""Reading the tables a figure draws: table lookup, estimator codes, landscape grid, mean and
s.e. over seeds. Figures only read tables; nothing here computes a result."""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from metagrad import names


def canonical_codes(df):
    """``df`` with every ``estimator`` code in the current vocabulary (legacy "mg" rows, which
    earlier experiments wrote for MG with sampling correction, read as "correction")."""
    if "estimator" not in df or not df["estimator"].isin(list(names.LEGACY_CODES)).any():
        return df
    return df.assign(estimator=df["estimator"].map(names.canonical))


def pick_table(tables: dict, name: str, figure: str):
    """The table called ``name`` (or the only table given), with canonical estimator codes."""
    if name in tables:
        return canonical_codes(tables[name])
    if len(tables) == 1:
        return canonical_codes(next(iter(tables.values())))
    raise KeyError(f"figure {figure!r} needs a table named {name!r}; got {sorted(tables)}")


def ordered_estimators(codes: Iterable[str]) -> list[str]:
    """The distinct codes in the vocabulary's order (:func:`metagrad.names.order_key`)."""
    return sorted(dict.fromkeys(codes), key=lambda c: (names.order_key(c), c))


def landscape_grid(df):
    """J(eta) on the grid: (eta_0 values, eta_1 values, z[eta_1, eta_0], per-point table), repeated
    grid points (one row per seed) averaged, lifetimes summed."""
    agg = {"mean_reward": ("mean_reward", "mean")}
    if "num_lifetimes" in df:
        agg["num_lifetimes"] = ("num_lifetimes", "sum")
    points = df.groupby(["eta_0", "eta_1"], as_index=False).agg(**agg)
    piv = points.pivot(index="eta_1", columns="eta_0", values="mean_reward").sort_index().sort_index(axis=1)
    return piv.columns.to_numpy(float), piv.index.to_numpy(float), piv.to_numpy(float), points


def mean_se_over(df, by: Sequence[str], value: str = "mean_reward"):
    """Mean, standard error and count ``n`` of ``value`` over the rows (seeds) of each group in
    ``by``; non-finite values (diverged runs) are left out of all three."""
    import pandas as pd

    def agg(g):
        v = g[value].to_numpy(float)
        v = v[np.isfinite(v)]
        n = len(v)
        return pd.Series({"mean": v.mean() if n else np.nan,
                          "se": v.std(ddof=1) / np.sqrt(n) if n > 1 else 0.0, "n": n})

    return df.groupby(list(by), sort=True)[[value]].apply(agg).reset_index()


def diverged_runs(df, run_cols: Sequence[str], value: str = "mean_reward") -> list[tuple]:
    """Runs (unique combinations of ``run_cols``) with at least one non-finite ``value``."""
    bad = df[~np.isfinite(df[value].to_numpy(float))]
    return sorted({tuple(r) for r in bad[list(run_cols)].itertuples(index=False, name=None)})
