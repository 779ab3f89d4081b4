"""Compare two result folders table by table.

    metagrad audit compare A B [--statistical] [--k 4] [--show 5]

Every ``*.parquet`` present in both folders (checkpoints ignored) is compared; tables present in
only one are listed. Default (same machine, same seed): the tables must be IDENTICAL - same
columns, same rows in the same order, exact equality of every value (NaN equals NaN); the first
differing rows are shown. ``--statistical`` (another machine, e.g. CPU against GPU): per-setting
means are compared with tolerances from their standard errors,
|a − b| ≤ k · sqrt(se_a² + se_b²) (k = 4):

* batch tables (``mean_d``, ``var_d``, ``num_samples``, ``batch``): pooled per (setting, point)
  with :func:`metagrad.metrics.pool_batches`; means with their batch-means s.e.;
* tables with ``X`` and ``X_se`` / ``X_boot_se`` / ``X_ci_low``+``X_ci_high`` columns: ``X``
  with that s.e. (CI half-width / 1.96);
* training tables (``mean_reward`` per run and ``update``): mean over seeds and starts per
  setting and update, s.e. over runs (the evaluation s.e. with one run);
* other tables (no standard errors): reported as not comparable statistically, not a failure.

Exit status: 0 consistent (identical), 1 differences, 2 usage errors.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["compare_folders", "compare_exact", "compare_statistical", "comparison_lines"]

TRAINING_KEYS = ["estimator", "truncation_length", "coefficient", "meta_discount", "learning_rate",
                 "optimizer", "update"]


def _tables(folder: Path) -> dict[str, Path]:
    return {str(p.relative_to(folder)): p for p in sorted(folder.rglob("*.parquet"))
            if "checkpoints" not in p.parts}


def compare_exact(a: pd.DataFrame, b: pd.DataFrame, show: int = 5) -> list[str]:
    """Differences between two tables that must be identical (empty list: identical)."""
    out = []
    if list(a.columns) != list(b.columns):
        only_a = [c for c in a.columns if c not in b.columns]
        only_b = [c for c in b.columns if c not in a.columns]
        out.append(f"columns differ (only in A: {only_a}, only in B: {only_b}, or order)")
    if len(a) != len(b):
        out.append(f"row counts differ: {len(a)} vs {len(b)}")
    common = [c for c in a.columns if c in b.columns]
    n = min(len(a), len(b))
    diff_rows = np.zeros(n, bool)
    diff_cols = []
    for c in common:
        x, y = a[c].iloc[:n].to_numpy(), b[c].iloc[:n].to_numpy()
        if pd.api.types.is_numeric_dtype(a[c]) and pd.api.types.is_numeric_dtype(b[c]):
            xf, yf = x.astype(float), y.astype(float)
            d = ~((xf == yf) | (np.isnan(xf) & np.isnan(yf)))
        else:
            d = ~((x == y) | (pd.isna(x) & pd.isna(y)))
        d = np.asarray(d, bool)
        if d.any():
            diff_cols.append(f"{c} ({int(d.sum())} rows)")
            diff_rows |= d
    if diff_cols:
        out.append(f"{int(diff_rows.sum())} of {n} rows differ in: {', '.join(diff_cols)}")
        idx = np.flatnonzero(diff_rows)[:show]
        with pd.option_context("display.width", 200, "display.max_columns", 12):
            for i in idx:
                cols = [c for c in common if not _eq(a[c].iloc[i], b[c].iloc[i])][:8]
                out.append(f"  row {i}: " + "; ".join(f"{c}: {_py(a[c].iloc[i])!r} vs {_py(b[c].iloc[i])!r}" for c in cols))
    return out


def _py(x):
    return x.item() if hasattr(x, "item") else x


def _eq(x, y) -> bool:
    try:
        if pd.isna(x) and pd.isna(y):
            return True
    except (TypeError, ValueError):
        pass
    return bool(x == y)


def _value_se_pairs(df: pd.DataFrame) -> list[tuple[str, pd.Series]]:
    pairs = []
    for c in df.columns:
        if not pd.api.types.is_float_dtype(df[c]) or c.endswith(("_se", "_boot_se", "_ci_low", "_ci_high", "_grid_err")):
            continue
        if f"{c}_se" in df.columns:
            pairs.append((c, df[f"{c}_se"]))
        elif f"{c}_boot_se" in df.columns:
            pairs.append((c, df[f"{c}_boot_se"]))
        elif f"{c}_ci_low" in df.columns and f"{c}_ci_high" in df.columns:
            pairs.append((c, (df[f"{c}_ci_high"] - df[f"{c}_ci_low"]) / (2 * 1.959964)))
        elif c.startswith("mean_") and f"se_{c[5:]}" in df.columns:
            pairs.append((c, df[f"se_{c[5:]}"]))
    return pairs


def _prepare(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[tuple[str, str]], str]:
    """(table, key columns, [(value column, se column)], description) for a statistical comparison."""
    from metagrad.metrics import pool_batches

    cols = set(df.columns)
    if {"setting_id", "eta_index", "batch", "num_samples"} <= cols and any(c.startswith("var_") for c in cols):
        pooled = pool_batches(df)
        dims = [c[5:] for c in pooled.columns if c.startswith("mean_")]
        return pooled, ["setting_id", "eta_index"], [(f"mean_{d}", f"se_{d}") for d in dims], "batch table pooled per (setting, point)"
    if {"mean_reward", "update", "run_id"} <= cols:
        keys = [k for k in TRAINING_KEYS if k in cols]
        g = df.groupby(keys, dropna=False)
        out = g["mean_reward"].agg(["mean", "std", "count"]).reset_index()
        eval_se = g["mean_reward_se"].mean().to_numpy() if "mean_reward_se" in cols else np.nan
        out["se"] = np.where(out["count"] >= 2, out["std"] / np.sqrt(out["count"]), eval_se)
        out = out.rename(columns={"mean": "mean_reward"})
        return out, keys, [("mean_reward", "se")], "runs averaged per setting and update"
    if {"mean_reward", "mean_reward_se", "eta_0", "eta_1"} <= cols:
        g = df.groupby(["eta_0", "eta_1"])
        out = g["mean_reward"].mean().reset_index()
        out["se"] = (np.sqrt(g["mean_reward_se"].apply(lambda x: np.sum(np.square(x)))) / g.size()).to_numpy()
        return out, ["eta_0", "eta_1"], [("mean_reward", "se")], "landscape averaged over seeds"
    pairs = _value_se_pairs(df)
    if not pairs:
        return df, [], [], "no standard errors"
    df = df.copy()
    se_cols = []
    for c, se in pairs:
        df[f"__se_{c}"] = se
        se_cols.append((c, f"__se_{c}"))
    used = {c for c, _ in pairs}
    keys = [c for c in df.columns if not c.startswith("__se_") and c not in used
            and not pd.api.types.is_float_dtype(df[c])]
    if "final_mean_reward" in df.columns:
        keys = [k for k in ("estimator", "truncation_length", "coefficient", "meta_discount",
                            "learning_rate", "optimizer") if k in df.columns]
    return df, keys, se_cols, "values with their standard errors"


def compare_statistical(a: pd.DataFrame, b: pd.DataFrame, k: float = 4.0, show: int = 5) -> tuple[str, list[str]]:
    """('consistent' | 'inconsistent' | 'skipped', messages)."""
    ta, keys, pairs, how = _prepare(a)
    tb, keys_b, _, _ = _prepare(b)
    if not pairs:
        return "skipped", [f"not compared statistically ({how})"]
    if keys != keys_b:
        return "inconsistent", [f"key columns differ: {keys} vs {keys_b}"]
    m = ta.merge(tb, on=keys, how="outer", suffixes=("_a", "_b"), indicator=True) if keys else \
        ta.add_suffix("_a").join(tb.add_suffix("_b")).assign(_merge="both")
    msgs, bad = [], 0
    unmatched = int((m["_merge"] != "both").sum())
    if unmatched:
        msgs.append(f"{unmatched} keys present in only one table")
        bad += unmatched
    both = m[m["_merge"] == "both"]
    total = 0
    worst = []
    for c, se in pairs:
        va, vb = both[f"{c}_a"].to_numpy(float), both[f"{c}_b"].to_numpy(float)
        sa, sb = both[f"{se}_a"].to_numpy(float), both[f"{se}_b"].to_numpy(float)
        tol = k * np.sqrt(sa ** 2 + sb ** 2)
        d = np.abs(va - vb)
        same = (va == vb) | (np.isnan(va) & np.isnan(vb))
        ok = same | (d <= tol)
        total += len(ok)
        for i in np.flatnonzero(~ok):
            z = d[i] / np.sqrt(sa[i] ** 2 + sb[i] ** 2) if np.isfinite(tol[i]) and tol[i] > 0 else np.inf
            key = ", ".join(f"{kk}={both[kk].iloc[i]}" for kk in keys)
            worst.append((z, f"{c} at {key}: {va[i]:.6g} vs {vb[i]:.6g} (|diff| {d[i]:.3g} > {k:g}·se {tol[i]:.3g}; {z:.1f} se)"))
    bad += len(worst)
    worst.sort(key=lambda x: -x[0])
    msgs.insert(0, f"{how}: {total - len(worst)}/{total} values within {k:g} combined standard errors")
    msgs += ["  " + w for _, w in worst[:show]]
    if len(worst) > show:
        msgs.append(f"  ... and {len(worst) - show} more")
    return ("inconsistent" if bad else "consistent"), msgs


def _config_note(pa: Path, pb: Path) -> str | None:
    ra, rb = pa.with_name(pa.stem + ".provenance.json"), pb.with_name(pb.stem + ".provenance.json")
    if not (ra.exists() and rb.exists()):
        return None
    try:
        a, b = json.loads(ra.read_text()), json.loads(rb.read_text())
    except ValueError:
        return None
    notes = []
    if a.get("section_hash") != b.get("section_hash"):
        notes.append("built from DIFFERENT config sections (section_hash differs)")
    if a.get("jax_devices") != b.get("jax_devices") or a.get("hostname") != b.get("hostname"):
        notes.append(f"machines: {a.get('hostname')} {a.get('jax_devices')} vs {b.get('hostname')} {b.get('jax_devices')}")
    return "; ".join(notes) or None


def compare_folders(a, b, statistical: bool = False, k: float = 4.0, show: int = 5) -> dict:
    """Compare every table present in both folders. Returns {'consistent': bool, 'tables': [...],
    'only_a': [...], 'only_b': [...]} where each table entry has name, status and messages."""
    a, b = Path(a), Path(b)
    ta, tb = _tables(a), _tables(b)
    out = {"only_a": sorted(set(ta) - set(tb)), "only_b": sorted(set(tb) - set(ta)), "tables": []}
    for name in sorted(set(ta) & set(tb)):
        da, db = pd.read_parquet(ta[name]), pd.read_parquet(tb[name])
        note = _config_note(ta[name], tb[name])
        if statistical:
            status, msgs = compare_statistical(da, db, k=k, show=show)
        else:
            msgs = compare_exact(da, db, show=show)
            status = "different" if msgs else "identical"
        if note:
            msgs = msgs + [f"provenance: {note}"]
        out["tables"].append({"name": name, "status": status, "messages": msgs})
    out["consistent"] = all(t["status"] in ("identical", "consistent", "skipped") for t in out["tables"])
    return out


def comparison_lines(res: dict, a, b, statistical: bool, k: float = 4.0) -> list[str]:
    """The printed account of :func:`compare_folders`' result ``res``, ending in its verdict."""
    mode = f"statistical (k = {k:g})" if statistical else "exact"
    out = [f"compare {a} vs {b}: {mode}, {len(res['tables'])} tables in both"]
    for t in res["tables"]:
        out += [f"[{t['status']}] {t['name']}", *(f"    {m}" for m in t["messages"])]
    for side, name in (("only_a", a), ("only_b", b)):
        out += [f"[only in {name}] {t}" for t in res[side]]
    out.append(("CONSISTENT" if statistical else "IDENTICAL") if res["consistent"] else "DIFFERENT")
    return out
