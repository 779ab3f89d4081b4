"""Caption sentences shared by the figures: numbers, sample sizes, scaling notes, diverged runs,
and the frontier figures' definitions (bias, variance trace, noise floor, off-scale points)."""

from __future__ import annotations

from typing import Iterable

import numpy as np

from metagrad.figures import style


def fmt_int(x) -> str:
    """1000 -> '1,000'; whole floats print without decimals, others with 3 significant digits."""
    try:
        xf = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not np.isfinite(xf):
        return str(x)
    return f"{int(xf):,}" if xf == int(xf) else f"{xf:,.3g}"


def fmt_value(x) -> str:
    """A measured value: 3 significant digits, thousands in full ('1,801', '-42', '0.0123')."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def plural(n, word: str) -> str:
    return f"{fmt_int(n)} {word}{'' if int(n) == 1 else 's'}"


def scaling_note(section: dict) -> str:
    note = (section or {}).get("scaling_note")
    return f" Scaling: {str(note).strip()}" if note else ""


def eta_text(values) -> str:
    return f"({', '.join(f'{v:g}' for v in values)})" if values else "(?)"


def diverged_sentence(runs: Iterable[tuple], describe, *, left_out: str) -> str:
    """" Diverged runs (...): a, b." naming each run with ``describe(*run)``, or " No run diverged."."""
    runs = list(runs)
    if not runs:
        return " No run diverged."
    return f" Diverged runs (non-finite J, {left_out}): " + ", ".join(describe(*r) for r in runs) + "."


def _first(section: dict, key: str, df, column: str | None = None):
    """``section[key]``, else the first value of a table column (``column`` or ``key``)."""
    if section.get(key) is not None:
        return section[key]
    column = column or key
    if df is not None and column in df:
        return df[column].iloc[0]
    return None


def training_sizes(section: dict, df=None) -> str:
    """Sample sizes of a meta-training experiment (figures 2, 3, 6, 7) as a caption clause."""
    s = section or {}
    parts = []
    updates = s.get("num_updates", int(df["update"].max()) if df is not None and "update" in df else None)
    if updates is not None:
        parts.append(f"{fmt_int(updates)} meta-updates")
    per_update = _first(s, "bandits_per_update", df)
    if per_update is not None:
        parts.append(f"{fmt_int(per_update)} bandits (lifetimes) per meta-update")
    evaluated = _first(s, "eval_bandits", df)
    if evaluated is not None:
        every = s.get("eval_every")
        parts.append(f"J(eta) evaluated on {fmt_int(evaluated)} bandits"
                     + (f" every {fmt_int(every)} updates" if every else ""))
    seeds = s.get("num_seeds", df["seed"].nunique() if df is not None and "seed" in df else None)
    if seeds is not None:
        parts.append(plural(seeds, "seed"))
    if s.get("fd_epsilon") is not None:
        parts.append(f"FD epsilon = {s['fd_epsilon']:g}")
    return "; ".join(parts)


# ----------------------------------------------------------------------------------------------
# frontier figures (4, 5, 8)

BIAS_DEFINITION = (" Bias is the mean over the coordinates of the squared difference between the "
                   "estimator's mean and the finite-difference reference (the paper's metric, which it "
                   "calls Euclidean distance), x 1e4; error bars on the paper's panel: std of grid means "
                   "over 10,000 resamples of grid points.")


def variance_definition(agg) -> str:
    """What the y axis is: the trace of the per-sample covariance, and, where the table stores
    projections on K < D probe directions, how the trace was estimated."""
    text = "y: variance = trace of the per-sample covariance of the estimate"
    if {"num_meta_params", "num_probes"} <= set(agg.columns):
        d = agg["num_meta_params"].to_numpy(float)
        k = agg["num_probes"].to_numpy(float)
        probed = k < d
        if probed.any():
            pairs = sorted({(int(a), int(b)) for a, b in zip(d[probed], k[probed])})
            text += (", estimated from the estimate's projections on K fixed orthonormal probe "
                     "directions and rescaled by D/K ("
                     + "; ".join(f"D = {a:,} meta-parameters, K = {b:,} probes" for a, b in pairs) + ")")
    return text + ", grid mean, log scale."


def noise_fraction(agg):
    """Median over settings of noise floor / raw bias (None without those columns)."""
    if "noise_floor" not in agg or "bias_raw" not in agg:
        return None
    nf, raw = agg["noise_floor"].to_numpy(float), agg["bias_raw"].to_numpy(float)
    ok = np.isfinite(nf) & np.isfinite(raw) & (raw > 0)
    return float(np.median(nf[ok] / raw[ok])) if ok.any() else None


def noise_floor_sentence(agg, scale: float = 1e4) -> str:
    """The corrected panel's definition and the size of the noise floor it removes."""
    frac = noise_fraction(agg)
    here = ""
    if frac is not None:
        here = f"; here the floor is a median {100 * frac:.0f} % of the raw bias"
        if frac >= 0.5:
            here += (", so the raw bias mostly measures sampling noise and only the corrected panel "
                     "compares the estimators' true bias")
    text = (" Right: noise-corrected bias (raw minus the estimator's and the reference's sampling-noise "
            "terms, var/(2N)) with its 95 % batch-bootstrap interval. The raw bias contains this noise "
            "floor, which dominates it at scaled-down sample sizes (spec section 4)" + here + ".")
    nf = agg["noise_floor"].to_numpy(float) * scale if "noise_floor" in agg else np.array([])
    nf = nf[np.isfinite(nf)]
    if nf.size:
        text += f" Noise floor (grid mean) per setting: {nf.min():.3g} to {nf.max():.3g} x 1e-4."
    return text


def frontier_sizes(section: dict, agg=None) -> str:
    """Sample sizes of a frontier experiment as a caption clause."""
    s = section or {}
    parts = []
    gs = s.get("grid_size")
    if gs is not None and isinstance(s.get("grid_low"), (int, float)):
        parts.append(f"eta grid {gs} x {gs} over [{s['grid_low']:g}, {s.get('grid_high', float('nan')):g}]^2")
    elif gs is not None:
        parts.append(f"eta grid {gs} x {gs}")
    spb = s.get("samples_per_batch")
    if spb is not None and s.get("mg_batches") is not None:
        lps = s.get("lifetimes_per_sample")
        per_sample = f"; each sample averages {plural(lps, 'lifetime')} on one bandit" if lps else ""
        paired = ""
        if agg is not None and "pairing_group" in agg:
            mg_like = agg["estimator"].isin(["naive", "correction", "dice"])
            if agg.loc[mg_like, "pairing_group"].dropna().nunique() == 1:
                paired = (", every MG variant" + (" and DiCE" if (agg["estimator"] == "dice").any() else "")
                          + " evaluated on the same sampled lifetimes (paired)")
        parts.append(f"meta-gradient{'/DiCE' if s.get('include_dice') else ''}: "
                     f"{fmt_int(spb * s['mg_batches'])} samples per point "
                     f"({s['mg_batches']} batches x {spb}{per_sample}){paired}")
    if s.get("include_es") and spb is not None and s.get("es_batches") is not None:
        parts.append(f"ES: {fmt_int(spb * s['es_batches'])} samples per point "
                     f"({s['es_batches']} batches x {spb}), sigma = {s.get('es_sigma', '?')}")
    if s.get("fd_batches") is not None and s.get("fd_samples_per_batch") is not None:
        parts.append(f"FD reference: {fmt_int(s['fd_samples_per_batch'] * s['fd_batches'])} samples per "
                     f"point ({s['fd_batches']} batches x {s['fd_samples_per_batch']}), "
                     f"epsilon = {s.get('fd_epsilon', '?')}")
    if agg is not None and "samples_per_point" in agg:
        spp = agg["samples_per_point"].to_numpy(float)
        parts.append("samples per point in the table: "
                     + (fmt_int(spp[0]) if np.all(spp == spp[0]) else f"{fmt_int(spp.min())}-{fmt_int(spp.max())}"))
    return "; ".join(parts)


def off_scale_sentence(off_scale: dict) -> str:
    """Which points each panel draws at its edge, with their values (``{panel: [point, ...]}``,
    points as returned by :func:`metagrad.figures.frontier_plot.plot_frontier`)."""
    parts = [f"{panel}: " + ", ".join(p["text"] for p in points)
             for panel, points in off_scale.items() if points]
    if not parts:
        return ""
    return (" Off scale (a point drawn at the panel's edge without its error bar, its value printed "
            "beside it, or an interval clipped at the edge, its end printed; heavy-tailed estimates, "
            "spec section 4): " + "; ".join(parts) + ".")


def encoding_sentence(agg, L, *, discount: bool, es_sigma) -> str:
    """Colours, markers and lines of a frontier figure."""
    marks = style.truncation_markers(agg["truncation_length"].astype(int), L)
    text = ("Colour: sampling-correction coefficient c (viridis); marker: truncation window length ("
            + ", ".join(f"{style.MARKER_NAMES.get(m, m)} = {style.truncation_label(t, L)}" for t, m in marks.items())
            + "); thin solid lines join each truncation's c sweep.")
    if discount:
        text += (" Meta-discount points (c = 1, gamma_m < 1; gamma_m = 1 is the c = 1 point and gamma_m = 0 "
                 "is naive) use the second palette and a dashed line per truncation.")
    if (agg["estimator"] == "es").any():
        text += f" ES: blue, same markers (sigma = {es_sigma})."
    if (agg["estimator"] == "dice").any():
        text += " DiCE: cross, no truncation, c = 0."
    return text


def collapsed_sentence(collapsed: Iterable[int], *, discount: bool) -> str:
    collapsed = sorted(set(collapsed))
    if not collapsed:
        return ""
    return (f" At truncation {', '.join(str(t) for t in collapsed)} the correction has no effect (the "
            f"window's earlier step enters it with theta held constant), so every c"
            f"{' and gamma_m' if discount else ''} gives the same estimate and one point (naive) is drawn.")


def frontier_caption(agg, cfg: dict, section: dict, L, info, *, figure_no: int, x_text: str,
                     corrected_panel: bool, discount: bool = False, define_bias: bool = True,
                     extra: str = "", task_text: str = "the bandit") -> str:
    """Caption of a frontier figure: axes, encodings, definitions, sample sizes, off-scale points."""
    bias = BIAS_DEFINITION if define_bias else ""
    return (
        f"Figure {figure_no} (profile '{cfg.get('profile')}'). Bias-variance frontier of meta-gradient "
        f"estimators on {task_text}, lifetime L = {L}, learning-rate schedule split at step "
        f"{section.get('schedule_split_step', '?')}. {x_text} {variance_definition(agg)} "
        f"{encoding_sentence(agg, L, discount=discount, es_sigma=section.get('es_sigma', '?'))}"
        f"{collapsed_sentence(info['collapsed'], discount=discount)}{bias}"
        f"{noise_floor_sentence(agg) if corrected_panel else ''}{off_scale_sentence(info['off_scale'])} "
        f"Sample sizes: {frontier_sizes(section, agg)}; {int(agg['num_points'].max())} grid points per "
        f"setting.{scaling_note(section)}{extra}"
    )
