"""Bias, variance and cosine metrics of gradient estimators, with honest uncertainty.

Input tables have one row per (eta point, estimator setting, batch) holding the batch size
``num_samples``, the batch mean ``mean_d`` and the within-batch sample variance ``var_d``
(ddof=1) of the single-sample gradient estimate for each coordinate ``d`` (columns are
detected, so any dimension works). The reference table (finite differences) has the same
format; all its rows at an eta point are pooled, whatever their ``setting_id``.

Metrics follow Vuorio et al. (2022), section 4 of REPRODUCTION.md:

* ``bias_raw`` = mean_d (ĝ_d − g*_d)², the paper's "Euclidean distance" (plotted ×1e4);
* ``variance`` = Σ_d Var(single-sample estimate)_d, the trace (plotted on a log scale);
* ``cosine`` = cos(ĝ, g*) (the paper plots −mean cosine);
* aggregates are grid means; the paper's error bar is the std of bootstrap means over grid
  points (10 000 resamples).

Ours: ``bias_corrected`` subtracts the sampling-noise floor of both means, and every grid mean
gets a 95 % sampling interval from a bootstrap over batches (batch means are honest under the
heavy tails of FD and DiCE, where per-sample standard errors are optimistic). Settings that
share a ``pairing_group`` were computed on the same samples; :func:`paired_difference`
resamples their batches jointly.

Bootstrap intervals are percentile intervals re-centred on the observed statistic (shifted by
the bootstrap bias ``mean(θ*) − θ̂``): resampling adds its own noise floor to every squared
mean difference, which would otherwise push bias intervals up by one floor. For the corrected
bias they are conservative (wider than needed) when the bias is small against the noise.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "METRICS",
    "pool_batches",
    "frontier_metrics",
    "paired_difference",
    "joint_grid_means",
    "zero_reference",
    "pooled_cosine",
    "trace_scale",
    "coordinates",
    "required_sample_size",
    "verdict_from_ci",
]

METRICS = ("bias_raw", "bias_corrected", "variance", "log_variance", "cosine")
_META = ("estimator", "truncation_length", "coefficient", "meta_discount", "hessian", "pairing_group",
         "measure")
_LEVEL = 0.95
_CHUNK_ELEMENTS = 2_000_000  # resamples × points × batches held in memory at once


# ----------------------------------------------------------------------------- table helpers


def coordinates(df: pd.DataFrame, prefix: str = "mean") -> list[str]:
    """Sorted suffixes ``d`` of columns named ``{prefix}_{d}`` with integer ``d``."""
    pat = re.compile(rf"^{prefix}_(\d+)$")
    found = [m.group(1) for c in df.columns if (m := pat.match(str(c)))]
    return sorted(found, key=int)


def _dims(df: pd.DataFrame) -> list[str]:
    dims = coordinates(df, "mean")
    if not dims:
        raise ValueError("no mean_<d> columns")
    missing = [f"var_{d}" for d in dims if f"var_{d}" not in df.columns]
    missing += [c for c in ("setting_id", "eta_index", "batch", "num_samples") if c not in df.columns]
    if missing:
        raise ValueError(f"missing columns: {missing}")
    return dims


def _first_per(df: pd.DataFrame, by: str | list[str], cols: list[str]) -> pd.DataFrame:
    cols = [c for c in cols if c in df.columns]
    return df.groupby(by, sort=True)[cols].first()


def trace_scale(df: pd.DataFrame) -> float:
    """D / K for one setting's rows: ``mean_k``/``var_k`` are projections on K orthonormal probe
    directions of a D-dimensional estimate, so the sum of the K probe variances estimates K/D of
    the trace (ARCHITECTURE.md, "Large η in tables"). Columns ``num_meta_params`` (D) and
    ``num_probes`` (K); a missing column or value means K = D (scale 1)."""
    if "num_meta_params" not in df.columns or "num_probes" not in df.columns:
        return 1.0
    ratio = (df["num_meta_params"].astype(float) / df["num_probes"].astype(float)).fillna(1.0).unique()
    if len(ratio) != 1:
        raise ValueError(f"one setting with several num_meta_params / num_probes ratios: {ratio.tolist()}")
    return float(ratio[0])


@dataclass
class _Batches:
    """Batch statistics of one setting on a (points × slots) layout; empty slots have n = 0."""

    n: np.ndarray  # (P, B) batch sizes
    m: np.ndarray  # (P, B, D) batch means minus ``center``
    v: np.ndarray  # (P, B, D) within-batch variances (0 where n <= 1 or slot empty)
    center: np.ndarray  # (P, D) pooled mean (centring keeps sums of squares accurate)
    nslots: np.ndarray  # (P,) slots in use at each point (resampling draws among these)


def _layout(frames: list[pd.DataFrame], points: np.ndarray) -> pd.DataFrame:
    """Slot number of every (eta_index, _key) in the union of ``frames`` at ``points``."""
    keys = pd.concat([f[["eta_index", "_key"]] for f in frames], ignore_index=True)
    keys = keys[keys["eta_index"].isin(points)].drop_duplicates().sort_values(["eta_index", "_key"])
    keys["_slot"] = keys.groupby("eta_index").cumcount()
    return keys.reset_index(drop=True)


def _to_batches(frame: pd.DataFrame, points: np.ndarray, layout: pd.DataFrame, dims: list[str]) -> _Batches:
    frame = frame[frame["eta_index"].isin(points)]
    if frame.duplicated(["eta_index", "_key"]).any():
        raise ValueError("duplicate (eta_index, batch) rows within one setting")
    frame = frame.merge(layout, on=["eta_index", "_key"], how="left", validate="one_to_one")
    P, B, D = len(points), int(layout["_slot"].max()) + 1, len(dims)
    p = pd.Index(points).get_indexer(frame["eta_index"])
    s = frame["_slot"].to_numpy(int)
    n = np.zeros((P, B))
    m = np.zeros((P, B, D))
    v = np.zeros((P, B, D))
    n[p, s] = frame["num_samples"].to_numpy(float)
    m[p, s] = frame[[f"mean_{d}" for d in dims]].to_numpy(float)
    v[p, s] = frame[[f"var_{d}" for d in dims]].to_numpy(float)
    v = np.where(n[..., None] > 1, v, 0.0)  # a one-sample batch has no within-batch spread
    with np.errstate(invalid="ignore", divide="ignore"):
        center = (n[..., None] * m).sum(1) / n.sum(1)[:, None]
    m = np.where(n[..., None] > 0, m - center[:, None, :], 0.0)
    nslots = layout.groupby("eta_index").size().reindex(points).to_numpy(int)
    return _Batches(n, m, v, center, nslots)


def _presence(b: _Batches) -> np.ndarray:
    return (b.n > 0).astype(float)[None]


def _resample_counts(rng: np.random.Generator, nslots: np.ndarray, bmax: int, r: int) -> np.ndarray:
    """Multiplicities (r, P, bmax) of a with-replacement resample of each point's slots."""
    P = len(nslots)
    idx = np.floor(rng.random((r, P, bmax)) * nslots[None, :, None]).astype(np.int64)
    valid = np.broadcast_to(np.arange(bmax)[None, None, :] < nslots[None, :, None], idx.shape)
    base = (np.arange(r)[:, None, None] * P + np.arange(P)[None, :, None]) * bmax
    counts = np.bincount((base + idx)[valid], minlength=r * P * bmax)
    return counts.reshape(r, P, bmax).astype(float)


def _pooled(b: _Batches, c: np.ndarray) -> dict[str, np.ndarray]:
    """Pooled statistics when batch slot (p, j) is counted ``c[r, p, j]`` times.

    Law of total variance (exact, ddof=1): SS = Σ c[(n−1)v + n(m − m̄)²]. Batch-means
    standard error: std over counted batches (ddof=1) / sqrt(#batches); sqrt(var/N) with one.
    Returns N, num_batches (r, P) and mean, var, se2 (r, P, D).
    """
    cn = c * b.n
    N = cn.sum(-1)
    mt = lambda w, x: np.matmul(w.transpose(1, 0, 2), x).transpose(1, 0, 2)  # noqa: E731  (r,P,B)x(P,B,D)
    with np.errstate(invalid="ignore", divide="ignore"):
        dm = mt(cn, b.m) / N[..., None]
        within = mt(c, (b.n[..., None] - 1).clip(0) * b.v + b.n[..., None] * b.m**2)
        var = (within - N[..., None] * dm**2) / (N[..., None] - 1)
        cp = c * (b.n > 0)
        nb = cp.sum(-1)
        bm = mt(cp, b.m) / nb[..., None]
        var_bm = np.maximum(mt(cp, b.m**2) - nb[..., None] * bm**2, 0.0) / (nb[..., None] - 1)
        se2 = np.where(nb[..., None] >= 2, var_bm / nb[..., None], var / N[..., None])
    return {"N": N, "num_batches": nb, "mean": b.center + dm, "var": np.maximum(var, 0.0), "se2": se2}


def _point_metrics(st: dict, ref_mean: np.ndarray, ref_se2: np.ndarray,
                   scale: float = 1.0) -> dict[str, np.ndarray]:
    """Per-point metrics (..., P) from pooled statistics and the reference mean / se²;
    ``scale``: :func:`trace_scale` of the setting (variance trace only)."""
    mean = st["mean"]
    bias_raw = ((mean - ref_mean) ** 2).mean(-1)
    floor = st["se2"].mean(-1) + ref_se2.mean(-1)
    variance = scale * st["var"].sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cosine = (mean * ref_mean).sum(-1) / (np.linalg.norm(mean, axis=-1) * np.linalg.norm(ref_mean, axis=-1))
        log_variance = np.log10(variance)
    return {
        "bias_raw": bias_raw,
        "noise_floor": floor,
        "bias_corrected": bias_raw - floor,
        "variance": variance,
        "log_variance": log_variance,
        "cosine": cosine,
    }


def _interval(estimate, boot: np.ndarray, level: float = _LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of ``boot`` (resamples on axis 0) re-centred on ``estimate``."""
    a = (1.0 - level) / 2.0
    shift = boot.mean(0) - estimate
    lo, hi = np.quantile(boot, [a, 1.0 - a], axis=0)
    return lo - shift, hi - shift


def _chunks(total: int, per_resample: int):
    size = max(1, _CHUNK_ELEMENTS // max(1, per_resample))
    for start in range(0, total, size):
        yield min(size, total - start)


def _prepare_reference(reference: pd.DataFrame, dims: list[str]):
    if _dims(reference) != dims:
        raise ValueError("reference and estimates have different coordinates")
    ref = reference.copy()
    ref["_key"] = ref.groupby(["setting_id", "batch"], sort=True).ngroup()
    points = np.sort(ref["eta_index"].unique())
    return ref, points


def _check_points(est: pd.DataFrame, ref: pd.DataFrame, points: np.ndarray, ref_points: np.ndarray) -> np.ndarray:
    """Indices of ``points`` in the reference grid; checks the eta coordinates agree."""
    idx = pd.Index(ref_points).get_indexer(points)
    if (idx < 0).any():
        raise ValueError(f"reference lacks eta points {points[idx < 0].tolist()}")
    eta_cols = [f"eta_{d}" for d in coordinates(est, "eta") if f"eta_{d}" in ref.columns]
    if eta_cols:
        a = _first_per(est, "eta_index", eta_cols).reindex(points).to_numpy(float)
        b = _first_per(ref, "eta_index", eta_cols).reindex(points).to_numpy(float)
        if not np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True):
            raise ValueError("eta coordinates of estimates and reference disagree")
    return idx


def _setting_rows(estimates: pd.DataFrame, setting_id: str) -> pd.DataFrame:
    g = estimates[estimates["setting_id"] == setting_id].copy()
    if g.empty:
        raise ValueError(f"unknown setting_id {setting_id!r}")
    g["_key"] = g["batch"]
    return g


# ----------------------------------------------------------------------------- public API


def pool_batches(df: pd.DataFrame) -> pd.DataFrame:
    """Pool batch rows into one row per (setting_id, eta_index).

    Columns: setting_id, eta_index, the per-setting metadata and eta coordinates present,
    ``N`` (samples), ``num_batches``, ``mean_d`` (sample-weighted mean), ``var_d`` (per-sample
    variance, ddof=1, exact by the law of total variance: identical to ``np.var(ddof=1)`` of the
    concatenated samples), ``se_d`` (batch-means standard error std(batch means, ddof=1) /
    sqrt(num_batches); sqrt(var_d / N) with a single batch) and ``variance`` = Σ_d var_d
    (× :func:`trace_scale` for probe projections).
    """
    dims = _dims(df)
    eta_cols = [f"eta_{d}" for d in coordinates(df, "eta")]
    out = []
    for sid, g in df.groupby("setting_id", sort=True):
        g = g.assign(_key=g["batch"])
        points = np.sort(g["eta_index"].unique())
        b = _to_batches(g, points, _layout([g], points), dims)
        st = {k: v[0] for k, v in _pooled(b, _presence(b)).items()}
        rows = pd.DataFrame({"setting_id": sid, "eta_index": points})
        for col in [c for c in _META if c in g.columns]:
            rows[col] = g[col].iloc[0]
        rows = rows.join(_first_per(g, "eta_index", eta_cols), on="eta_index")
        rows["N"] = st["N"].astype(np.int64)
        rows["num_batches"] = st["num_batches"].astype(np.int64)
        for j, d in enumerate(dims):
            rows[f"mean_{d}"] = st["mean"][:, j]
            rows[f"var_{d}"] = st["var"][:, j]
            rows[f"se_{d}"] = np.sqrt(st["se2"][:, j])
        rows["variance"] = trace_scale(g) * st["var"].sum(-1)
        out.append(rows)
    return pd.concat(out, ignore_index=True)


def frontier_metrics(
    estimates: pd.DataFrame,
    reference: pd.DataFrame,
    num_bootstrap: int = 1000,
    seed: int = 0,
    num_grid_bootstrap: int = 10_000,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bias / variance / cosine of every setting against the pooled FD reference g*.

    Per point (Vuorio et al. 2022, sec. 5.1; REPRODUCTION.md sec. 4): ``bias_raw`` =
    mean_d (ĝ_d − g*_d)²; ``noise_floor`` = mean_d se_d² + mean_d se*_d² (batch-means SEs of
    estimator and reference); ``bias_corrected`` = bias_raw − noise_floor (unbiased for the true
    squared bias); ``variance`` = Σ_d var_d (× :func:`trace_scale`); ``log_variance`` = log10(variance); ``cosine`` =
    cos(ĝ, g*); each with a 95 % batch-bootstrap interval ``{m}_ci_low`` / ``{m}_ci_high``.

    Returns ``(per_point, aggregate)``. ``aggregate`` has one row per setting with, for each
    metric m in :data:`METRICS`: ``m`` (grid mean, the paper's number), ``m_median``,
    ``m_grid_err`` (the paper's error bar: std of means of grid points resampled with
    replacement, ``num_grid_bootstrap`` times), ``m_ci_low`` / ``m_ci_high`` (95 % sampling
    interval of the grid mean from ``num_bootstrap`` resamples of each setting's batches at every
    point, the reference's batches resampled independently) and ``m_boot_se`` (std of those
    resampled grid means).
    """
    dims = _dims(estimates)
    ref, ref_points = _prepare_reference(reference, dims)
    ref_b = _to_batches(ref, ref_points, _layout([ref], ref_points), dims)
    ref_st = _pooled(ref_b, _presence(ref_b))
    settings = sorted(estimates["setting_id"].unique())
    seeds = np.random.SeedSequence(seed).spawn(len(settings) + 2)

    # one resampled reference shared by every setting (the settings' intervals are marginal)
    rng = np.random.default_rng(seeds[0])
    ref_mean_b, ref_se2_b = [], []
    for r in _chunks(num_bootstrap, ref_b.n.size):
        st = _pooled(ref_b, _resample_counts(rng, ref_b.nslots, ref_b.n.shape[1], r))
        ref_mean_b.append(st["mean"])
        ref_se2_b.append(st["se2"])
    ref_mean_b, ref_se2_b = np.concatenate(ref_mean_b), np.concatenate(ref_se2_b)
    grid_rng = np.random.default_rng(seeds[1])

    per_point, aggregate = [], []
    for k, sid in enumerate(settings):
        g = _setting_rows(estimates, sid)
        points = np.sort(g["eta_index"].unique())
        idx = _check_points(g, ref, points, ref_points)
        b = _to_batches(g, points, _layout([g], points), dims)
        st = {key: v[0] for key, v in _pooled(b, _presence(b)).items()}
        scale = trace_scale(g)
        pm = _point_metrics(st, ref_st["mean"][0, idx], ref_st["se2"][0, idx], scale)

        rng = np.random.default_rng(seeds[k + 2])
        boot = {m: [] for m in METRICS}
        done = 0
        for r in _chunks(num_bootstrap, b.n.size):
            sb = _pooled(b, _resample_counts(rng, b.nslots, b.n.shape[1], r))
            pb = _point_metrics(sb, ref_mean_b[done : done + r][:, idx], ref_se2_b[done : done + r][:, idx], scale)
            for m in METRICS:
                boot[m].append(pb[m])
            done += r
        boot = {m: np.concatenate(v) for m, v in boot.items()}

        rows = pd.DataFrame({"setting_id": sid, "eta_index": points})
        meta = {c: g[c].iloc[0] for c in _META if c in g.columns}
        for col, val in meta.items():
            rows[col] = val
        rows = rows.join(_first_per(g, "eta_index", [f"eta_{d}" for d in coordinates(g, "eta")]), on="eta_index")
        rows["num_samples"] = st["N"].astype(np.int64)
        rows["num_batches"] = st["num_batches"].astype(np.int64)
        rows["ref_num_samples"] = ref_st["N"][0, idx].astype(np.int64)
        for j, d in enumerate(dims):
            rows[f"mean_{d}"] = st["mean"][:, j]
            rows[f"var_{d}"] = st["var"][:, j]
            rows[f"se_{d}"] = np.sqrt(st["se2"][:, j])
            rows[f"ref_mean_{d}"] = ref_st["mean"][0, idx, j]
            rows[f"ref_se_{d}"] = np.sqrt(ref_st["se2"][0, idx, j])
        rows["noise_floor"] = pm["noise_floor"]
        agg = {"setting_id": sid, **meta, "num_points": len(points),
               "samples_per_point": float(np.median(st["N"])),
               "batches_per_point": float(np.median(st["num_batches"])),
               "noise_floor": float(pm["noise_floor"].mean())}
        gidx = grid_rng.integers(0, len(points), size=(num_grid_bootstrap, len(points)))
        for m in METRICS:
            rows[m] = pm[m]
        for m in METRICS:
            rows[f"{m}_ci_low"], rows[f"{m}_ci_high"] = _interval(pm[m], boot[m])
            grid_mean = boot[m].mean(1)
            lo, hi = _interval(pm[m].mean(), grid_mean)
            agg.update({
                m: float(pm[m].mean()),
                f"{m}_median": float(np.median(pm[m])),
                f"{m}_grid_err": float(pm[m][gidx].mean(1).std(ddof=1)),
                f"{m}_ci_low": float(lo),
                f"{m}_ci_high": float(hi),
                f"{m}_boot_se": float(grid_mean.std(ddof=1)),
            })
        per_point.append(rows)
        aggregate.append(agg)
    return pd.concat(per_point, ignore_index=True), pd.DataFrame(aggregate)


def paired_difference(
    estimates: pd.DataFrame,
    reference: pd.DataFrame,
    setting_a: str,
    setting_b: str,
    metric: str = "bias_corrected",
    num_bootstrap: int = 1000,
    seed: int = 0,
) -> dict:
    """Grid-mean difference ``metric(a) − metric(b)`` with a 95 % batch-bootstrap interval.

    ``metric`` is one of :data:`METRICS`. If both settings have the same non-null
    ``pairing_group`` they were computed on the same samples, and each resample draws the SAME
    batch indices for both (paired); otherwise their batches are resampled independently. The
    reference is resampled once per replicate and shared by a and b. Only eta points present in
    both settings are used.

    Returns a dict: setting_a, setting_b, metric, paired, num_points, num_bootstrap,
    ``difference`` (grid mean), ``median_difference``, ``ci_low``, ``ci_high``, ``boot_se``,
    ``median_boot_se`` (std of the resampled medians over points),
    ``num_points_positive`` / ``num_points_negative`` (points whose interval lies entirely above
    / below 0) and ``per_point`` (DataFrame: eta_index, eta coordinates, value_a, value_b,
    difference, ci_low, ci_high, se: the std of the point's resampled differences).
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    dims = _dims(estimates)
    ref, ref_points = _prepare_reference(reference, dims)
    ga, gb = _setting_rows(estimates, setting_a), _setting_rows(estimates, setting_b)
    pa = ga["pairing_group"].iloc[0] if "pairing_group" in ga.columns else None
    pb_ = gb["pairing_group"].iloc[0] if "pairing_group" in gb.columns else None
    paired = bool(pd.notna(pa) and pd.notna(pb_) and pa == pb_)
    points = np.intersect1d(ga["eta_index"].unique(), gb["eta_index"].unique())
    if len(points) == 0:
        raise ValueError("the two settings share no eta points")
    _check_points(ga, ref, points, ref_points)
    _check_points(gb, ref, points, ref_points)

    rb = _to_batches(ref, points, _layout([ref], points), dims)
    if paired:
        lay = _layout([ga, gb], points)
        ba, bb = _to_batches(ga, points, lay, dims), _to_batches(gb, points, lay, dims)
    else:
        ba = _to_batches(ga, points, _layout([ga], points), dims)
        bb = _to_batches(gb, points, _layout([gb], points), dims)

    scale_a, scale_b = trace_scale(ga), trace_scale(gb)

    def metric_of(b, c, rst, scale):
        return _point_metrics(_pooled(b, c), rst["mean"], rst["se2"], scale)[metric]

    rst = _pooled(rb, _presence(rb))
    va, vb = metric_of(ba, _presence(ba), rst, scale_a)[0], metric_of(bb, _presence(bb), rst, scale_b)[0]
    diff = va - vb

    s_ref, s_a, s_b = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
    boot = []
    per = max(rb.n.size, ba.n.size, bb.n.size)
    for r in _chunks(num_bootstrap, per):
        rs = _pooled(rb, _resample_counts(s_ref, rb.nslots, rb.n.shape[1], r))
        ca = _resample_counts(s_a, ba.nslots, ba.n.shape[1], r)
        cb = ca if paired else _resample_counts(s_b, bb.nslots, bb.n.shape[1], r)
        boot.append(metric_of(ba, ca, rs, scale_a) - metric_of(bb, cb, rs, scale_b))
    boot = np.concatenate(boot)

    lo_p, hi_p = _interval(diff, boot)
    lo, hi = _interval(diff.mean(), boot.mean(1))
    per_point = pd.DataFrame({"eta_index": points})
    per_point = per_point.join(_first_per(ga, "eta_index", [f"eta_{d}" for d in coordinates(ga, "eta")]), on="eta_index")
    per_point["value_a"], per_point["value_b"], per_point["difference"] = va, vb, diff
    per_point["ci_low"], per_point["ci_high"] = lo_p, hi_p
    per_point["se"] = boot.std(0, ddof=1)
    return {
        "setting_a": setting_a,
        "setting_b": setting_b,
        "metric": metric,
        "paired": paired,
        "num_points": len(points),
        "num_bootstrap": num_bootstrap,
        "difference": float(diff.mean()),
        "median_difference": float(np.median(diff)),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "boot_se": float(boot.mean(1).std(ddof=1)),
        "median_boot_se": float(np.median(boot, 1).std(ddof=1)),
        "num_points_positive": int((lo_p > 0).sum()),
        "num_points_negative": int((hi_p < 0).sum()),
        "per_point": per_point,
    }


def joint_grid_means(
    estimates: pd.DataFrame,
    reference: pd.DataFrame,
    settings: list[str],
    metrics: tuple[str, ...],
    num_bootstrap: int = 1000,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Grid means of ``metrics`` for ``settings`` of one pairing group, with a JOINT bootstrap.

    Every replicate draws the same batch resample for all settings (they share samples) and one
    reference resample, so functions of several settings (e.g. a point's distance to a curve
    through the others) get an honest paired spread. Returns ``(point, boot)`` of shapes
    (S, M) and (num_bootstrap, S, M), S = len(settings), M = len(metrics).
    """
    dims = _dims(estimates)
    ref, ref_points = _prepare_reference(reference, dims)
    frames = [_setting_rows(estimates, k) for k in settings]
    scales = [trace_scale(g) for g in frames]
    points = np.sort(frames[0]["eta_index"].unique())
    lay = _layout(frames, points)
    bs = [_to_batches(g, points, lay, dims) for g in frames]
    idx = _check_points(frames[0], ref, points, ref_points)
    rb = _to_batches(ref, ref_points, _layout([ref], ref_points), dims)
    rst = _pooled(rb, _presence(rb))

    def grid_means(b, counts, rs, scale):  # (..., M)
        pm = _point_metrics(_pooled(b, counts), rs["mean"][:, idx], rs["se2"][:, idx], scale)
        return np.stack([pm[m].mean(-1) for m in metrics], -1)

    point = np.stack([grid_means(b, _presence(b), rst, sc)[0] for b, sc in zip(bs, scales)])
    s_ref, s_est = (np.random.default_rng(x) for x in np.random.SeedSequence(seed).spawn(2))
    boots = []
    for r in _chunks(num_bootstrap, max(rb.n.size, bs[0].n.size) * len(bs)):
        rs = _pooled(rb, _resample_counts(s_ref, rb.nslots, rb.n.shape[1], r))
        c = _resample_counts(s_est, bs[0].nslots, bs[0].n.shape[1], r)
        boots.append(np.stack([grid_means(b, c, rs, sc) for b, sc in zip(bs, scales)], 1))
    return point, np.concatenate(boots)


def required_sample_size(effect: float, se_now: float, n_now: int, z: float = 2.0) -> int:
    """Samples per point at which ``|effect|`` lies ``z`` standard errors from 0.

    Assumes se ∝ 1/sqrt(n): n = ceil(n_now · (z · se_now / |effect|)²). (For squared-mean
    metrics near zero the se falls faster, like 1/n, so this is conservative there.)
    Raises ValueError if ``effect`` is 0 or any input is not finite / positive.
    """
    effect, se_now = abs(float(effect)), float(se_now)
    if not (math.isfinite(effect) and effect > 0):
        raise ValueError("effect must be finite and non-zero: a zero effect is never decided")
    if not (math.isfinite(se_now) and se_now >= 0 and n_now > 0 and z > 0):
        raise ValueError("se_now must be finite and >= 0, n_now and z positive")
    need = n_now * (z * se_now / effect) ** 2
    return max(1, math.ceil(need * (1 - 1e-12)))  # tolerate round-off at exact integers


def verdict_from_ci(low: float, high: float, direction: str) -> str:
    """Verdict on a one-sided claim from an interval [low, high].

    ``direction="positive"`` (claim: quantity > 0): "pass" if low > 0, "fail" if high < 0,
    otherwise (or if a bound is NaN) "inconclusive"; ``"negative"`` is the mirror image.
    """
    if direction not in ("positive", "negative"):
        raise ValueError(f"direction must be 'positive' or 'negative', got {direction!r}")
    low, high = float(low), float(high)
    if math.isnan(low) or math.isnan(high):
        return "inconclusive"
    if low > high:
        raise ValueError(f"interval bounds reversed: [{low}, {high}]")
    if direction == "negative":
        low, high = -high, -low
    if low > 0:
        return "pass"
    if high < 0:
        return "fail"
    return "inconclusive"


def zero_reference(estimates: pd.DataFrame) -> pd.DataFrame:
    """A noiseless reference of zeros at the points of ``estimates`` (one row per point): with
    it, :func:`frontier_metrics` of paired differences ``estimate_s - estimate_unbiased`` gives
    their noise-corrected squared mean, the decisive bias measurement (ours)."""
    dims = _dims(estimates)
    eta_cols = [f"eta_{d}" for d in coordinates(estimates, "eta")]
    points = estimates.drop_duplicates("eta_index")[["eta_index", *eta_cols]].copy()
    points["setting_id"], points["batch"], points["num_samples"] = "zero", 0, 2
    for d in dims:
        points[f"mean_{d}"], points[f"var_{d}"] = 0.0, 0.0
    return points.reset_index(drop=True)


def pooled_cosine(estimate: pd.DataFrame, reference: pd.DataFrame,
                  paired_difference_rows: pd.DataFrame | None = None,
                  num_resamples: int = 2000, seed: int = 0) -> dict:
    """Cosine between an estimator's mean and the reference's, pooled over the grid, with both
    squared norms and the dot product corrected for sampling noise (ours):

        cos = sum_{p,d} (m_pd r_pd - c_pd) / sqrt(sum (m_pd^2 - se_pd^2) * sum (r_pd^2 - se*_pd^2))

    where ``c_pd`` is the covariance of the two means: 0 for independent samples, and
    ``(se^2 + se*^2 - se_diff^2) / 2`` when ``paired_difference_rows`` (pooled rows of estimate -
    reference on the same samples) are given. Pooled sums stay positive where a single point's
    debiased norm would not, so the cosine stays defined. Inputs are :func:`pool_batches` rows
    of one setting each; the interval is a parametric bootstrap of the means (Gaussian with the
    batch-means standard errors and the paired covariance). Returns ``cosine``, ``ci_low``,
    ``ci_high``, ``boot_se``.
    """
    dims = coordinates(estimate)
    est = estimate.set_index("eta_index").sort_index()
    ref = reference.set_index("eta_index").loc[est.index]
    m = est[[f"mean_{d}" for d in dims]].to_numpy(float)
    r = ref[[f"mean_{d}" for d in dims]].to_numpy(float)
    se2 = est[[f"se_{d}" for d in dims]].to_numpy(float) ** 2
    ref_se2 = ref[[f"se_{d}" for d in dims]].to_numpy(float) ** 2
    cov = np.zeros_like(m)
    if paired_difference_rows is not None:
        diff = paired_difference_rows.set_index("eta_index").loc[est.index]
        diff_se2 = diff[[f"se_{d}" for d in dims]].to_numpy(float) ** 2
        cov = 0.5 * (se2 + ref_se2 - diff_se2)
        cov = np.clip(cov, -np.sqrt(se2 * ref_se2), np.sqrt(se2 * ref_se2))

    def cosine(m, r):
        num = (m * r).sum(axis=(-2, -1)) - cov.sum()
        den = ((m ** 2).sum(axis=(-2, -1)) - se2.sum()) * ((r ** 2).sum(axis=(-2, -1)) - ref_se2.sum())
        return np.where(den > 0, num / np.sqrt(np.abs(den)), np.nan)

    rng = np.random.default_rng(seed)
    z1 = rng.standard_normal((num_resamples,) + m.shape)
    z2 = rng.standard_normal((num_resamples,) + m.shape)
    ref_se = np.sqrt(ref_se2)
    slope = np.divide(cov, ref_se2, out=np.zeros_like(cov), where=ref_se2 > 0)
    rest = np.sqrt(np.maximum(se2 - slope * cov, 0.0))
    boot = cosine(m + slope * ref_se * z1 + rest * z2, r + ref_se * z1)
    point = float(cosine(m, r))
    low, high = _interval(np.asarray(point), boot[np.isfinite(boot)])
    return {"cosine": point, "ci_low": float(low), "ci_high": float(high),
            "boot_se": float(np.nanstd(boot, ddof=1))}
