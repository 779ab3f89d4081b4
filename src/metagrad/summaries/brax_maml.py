"""Bias, variance and cosine of the Brax MAML estimators (ours; spec sections 4 and 7), from
the ``brax_maml`` experiment table (:mod:`metagrad.experiments.brax_maml`).

Per estimator s and direction group G (``output``: the K/2 output-layer directions; ``all``:
the K/2 directions over all parameters; ``pooled``: all K):

- ``trace_var``: the single-sample variance of the full D-dimensional estimate (the trace of its
  covariance), the mean of the per-batch unbiased traces;
- ``bias_raw = mean_{k in G} (u_k^T g_bar - d_bar_k)^2`` with ``g_bar`` the estimator mean and
  ``d_bar_k`` the FD reference mean along ``u_k``; ``bias`` (noise-corrected) subtracts each
  term's sampling noise ``Var(u_k^T g)/N + Var(d_k)/N_fd`` (``noise_floor``), so its expectation
  is the squared directional bias (plus FD's O(eps^2) smoothing);
- ``magnitude = mean_{k in G} ((u_k^T g_bar)^2 - Var(u_k^T g)/N)``: the noise-corrected squared
  directional size of the estimator's own mean (for ``dice_extra``, DiCE minus naive on the same
  samples, the bias DiCE's Hessian term adds to any c);
- ``cosine``: ``cos(U_G g_bar, d_bar_G)``; ``cosine_corrected`` debiases both norms by their
  sampling noise (NaN where a debiased norm is not positive).

Intervals: a bootstrap over batches (``R`` resamples, seed fixed), estimator batches resampled
jointly for every estimator (they share their samples: paired), FD batches independently;
bias, magnitude and cosine intervals are point +- 1.96 bootstrap standard errors (trace
variance: bootstrap percentiles).
``bootstrap`` returns the replicates, which the audit's claims (M1-M4) use for paired tests.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

GROUPS = ("output", "all", "pooled")
NUM_RESAMPLES = 2000
BOOTSTRAP_SEED = 20220401
KEY_COLUMNS = ("setting_key", "label", "variant", "coefficient", "hessian", "sweep")


class MAMLData(NamedTuple):
    settings: pd.DataFrame      # one row per estimator, KEY_COLUMNS, in table order
    means: np.ndarray           # [B, S, K] batch means of the projections
    variances: np.ndarray       # [B, S, K]
    traces: np.ndarray          # [B, S]
    samples: int                # N per batch
    fd_means: np.ndarray        # [BF, K]
    fd_variances: np.ndarray    # [BF, K]
    fd_samples: int
    num_output: int             # directions 0 .. num_output - 1 are the output-layer group
    num_meta_params: int

    def group_index(self, group: str) -> np.ndarray:
        K = self.means.shape[-1]
        if group == "output":
            return np.arange(self.num_output)
        if group == "all":
            return np.arange(self.num_output, K)
        if group == "pooled":
            return np.arange(K)
        raise ValueError(f"group must be one of {GROUPS}, got {group!r}")


def load(raw: pd.DataFrame) -> MAMLData:
    K = int(raw["num_probes"].iloc[0])
    mean_cols, var_cols = [f"mean_{k}" for k in range(K)], [f"var_{k}" for k in range(K)]
    est = raw[raw["setting_key"] != "fd"]
    fd = raw[raw["setting_key"] == "fd"].sort_values("batch")
    if fd.empty or est.empty:
        raise ValueError("a brax_maml table needs estimator rows and FD rows (setting_key 'fd')")
    keys = list(dict.fromkeys(est["setting_key"]))
    settings = est.drop_duplicates("setting_key").set_index("setting_key").loc[keys].reset_index()
    settings = settings[list(KEY_COLUMNS)].reset_index(drop=True)
    batches = sorted(est["batch"].unique())
    cube = est.set_index(["batch", "setting_key"]).sort_index()

    def arr(cols):
        return np.stack([cube.loc[[(b, s) for s in keys], cols].to_numpy(float) for b in batches])

    return MAMLData(settings, arr(mean_cols), arr(var_cols), arr(["trace_var"])[..., 0],
                    int(est["num_samples"].iloc[0]), fd[mean_cols].to_numpy(float),
                    fd[var_cols].to_numpy(float), int(fd["num_samples"].iloc[0]),
                    int(raw["num_output_directions"].iloc[0]), int(raw["num_meta_params"].iloc[0]))


def statistics(data: MAMLData, est_idx=None, fd_idx=None) -> dict:
    """Point statistics ``{name: [S, G]}`` (``trace_var``: ``[S]``) on the batches selected by
    ``est_idx`` / ``fd_idx`` (all by default)."""
    B, BF = data.means.shape[0], data.fd_means.shape[0]
    ei = np.arange(B) if est_idx is None else np.asarray(est_idx)
    fi = np.arange(BF) if fd_idx is None else np.asarray(fd_idx)
    g = data.means[ei].mean(0)                                           # [S, K]
    se_g2 = data.variances[ei].mean(0) / (len(ei) * data.samples)
    d = data.fd_means[fi].mean(0)                                        # [K]
    se_d2 = data.fd_variances[fi].mean(0) / (len(fi) * data.fd_samples)
    out = {name: [] for name in ("bias_raw", "bias", "noise_floor", "cosine", "cosine_corrected",
                                 "dot", "fd_norm2", "magnitude")}
    for group in GROUPS:
        k = data.group_index(group)
        diff2 = (g[:, k] - d[None, k]) ** 2
        floor = se_g2[:, k] + se_d2[None, k]
        out["bias_raw"].append(diff2.mean(-1))
        out["bias"].append((diff2 - floor).mean(-1))
        out["noise_floor"].append(floor.mean(-1))
        dot = g[:, k] @ d[k]
        ng2, nd2 = (g[:, k] ** 2).sum(-1), float((d[k] ** 2).sum())
        out["cosine"].append(dot / np.sqrt(ng2 * nd2))
        ng2c, nd2c = ng2 - se_g2[:, k].sum(-1), nd2 - se_d2[k].sum()
        with np.errstate(invalid="ignore"):
            out["cosine_corrected"].append(np.where((ng2c > 0) & (nd2c > 0),
                                                    dot / np.sqrt(np.abs(ng2c * nd2c)), np.nan))
        out["dot"].append(dot / len(k))
        out["fd_norm2"].append(np.full(g.shape[0], (d[k] ** 2 - se_d2[k]).mean()))
        out["magnitude"].append((g[:, k] ** 2 - se_g2[:, k]).mean(-1))
    stats = {name: np.stack(v, axis=-1) for name, v in out.items()}
    stats["trace_var"] = data.traces[ei].mean(0)
    stats["fd_trace_var"] = float(data.fd_variances[fi].mean(0).sum())
    return stats


def bootstrap(data: MAMLData, num_resamples: int | None = None, seed: int = BOOTSTRAP_SEED):
    """``{name: [R, ...]}`` replicates of ``statistics`` (paired over estimators); ``R`` =
    ``NUM_RESAMPLES`` by default."""
    num_resamples = NUM_RESAMPLES if num_resamples is None else num_resamples
    rng = np.random.default_rng(seed)
    B, BF = data.means.shape[0], data.fd_means.shape[0]
    reps = [statistics(data, rng.integers(0, B, B), rng.integers(0, BF, BF))
            for _ in range(int(num_resamples))]
    return {name: np.stack([r[name] for r in reps]) for name in reps[0]}


def summarize_table(raw: pd.DataFrame, num_resamples: int | None = None) -> pd.DataFrame:
    data = load(raw)
    point, boot = statistics(data), bootstrap(data, num_resamples)
    rows = []
    for s, meta in data.settings.iterrows():
        tv = boot["trace_var"][:, s]
        for j, group in enumerate(GROUPS):
            row = {**meta.to_dict(), "group": group,
                   "trace_var": point["trace_var"][s], "trace_var_se": tv.std(ddof=1),
                   "trace_var_ci_low": np.percentile(tv, 2.5),
                   "trace_var_ci_high": np.percentile(tv, 97.5)}
            for name in ("bias", "magnitude", "cosine", "cosine_corrected"):
                # normal intervals around the point value: the replicates of a noise-corrected
                # square centre near the RAW value (resampling adds the noise it removes), so
                # their percentiles would be shifted by the noise floor; their spread is kept
                rep = boot[name][:, s, j]
                row[name] = point[name][s, j]
                row[f"{name}_se"] = np.nanstd(rep, ddof=1)
                row[f"{name}_ci_low"] = row[name] - 1.96 * row[f"{name}_se"]
                row[f"{name}_ci_high"] = row[name] + 1.96 * row[f"{name}_se"]
                if name.startswith("cosine"):
                    row[f"{name}_ci_low"] = max(row[f"{name}_ci_low"], -1.0)
                    row[f"{name}_ci_high"] = min(row[f"{name}_ci_high"], 1.0)
            row.update({"bias_raw": point["bias_raw"][s, j],
                        "noise_floor": point["noise_floor"][s, j],
                        "fd_norm2": point["fd_norm2"][s, j],
                        "num_directions": int(len(data.group_index(group))),
                        "samples": data.means.shape[0] * data.samples,
                        "fd_samples": data.fd_means.shape[0] * data.fd_samples,
                        "num_meta_params": data.num_meta_params,
                        "fd_trace_var": point["fd_trace_var"]})
            rows.append(row)
    frame = pd.DataFrame(rows)
    frame["sweep"] = frame["sweep"].astype(bool)
    return frame


def summarize(tables: dict, cfg: dict, section: dict) -> dict:
    """``metagrad summarize brax_maml``: ``{"maml_summary": table}``."""
    (raw,) = tables.values()
    return {"maml_summary": summarize_table(raw)}
