"""Result tables as CSV, Markdown and LaTeX (issue 4: the frontier numbers and final
learning-curve performance).

    metagrad table NAME --profile P --input IN.parquet --out-dir DIR      (metagrad.cli)

``NAME`` chooses the formatter: ``frontier_*`` reads a ``frontier_aggregate`` table (from
:mod:`metagrad.summaries.frontier`), ``*_final`` a ``final_performance`` table (from
:mod:`metagrad.summaries.training`); other names are recognised by their columns. Writes
``DIR/NAME.csv`` (numbers at full precision, one column per quantity), ``DIR/NAME.md`` and
``DIR/NAME.tex`` (the same rows, rounded to 3 significant digits, value and error in one cell),
and ``DIR/NAME.provenance.json``, each atomically.

Column naming convention of the numeric table, used to build the display table: a column ``X``
with ``X_err`` (or ``X_grid_err``, ``X_se``) is shown as "X +- err"; with ``X_ci_low`` and
``X_ci_high`` as "X [low, high]".
"""

from __future__ import annotations

import math
import time
from pathlib import Path
import numpy as np
import pandas as pd

from metagrad import names
from metagrad.io import atomic_write_text

__all__ = ["format_frontier", "format_final_performance", "format_table", "display_table",
           "to_markdown", "to_latex", "write_tables", "make_table"]

BIAS_SCALE = 1e4

# header per column: (markdown, LaTeX)
HEADERS = {
    "estimator": ("estimator", "estimator"),
    "truncation": ("truncation", "truncation"),
    "truncation_length": ("truncation", "truncation"),
    "coefficient": ("c", "$c$"),
    "meta_discount": ("γ_m", r"$\gamma_m$"),
    "bias_x1e4": ("bias ×1e4 (± grid err)", r"bias $\times 10^{4}$ ($\pm$ grid err.)"),
    "bias_corrected_x1e4": ("noise-corrected bias ×1e4 [95 % CI]",
                            r"noise-corr.\ bias $\times 10^{4}$ [95\,\% CI]"),
    "noise_floor_x1e4": ("noise floor ×1e4", r"noise floor $\times 10^{4}$"),
    "variance": ("variance (grid mean)", "variance (grid mean)"),
    "variance_median": ("variance (median)", "variance (median)"),
    "cosine": ("cosine (± grid err)", r"cosine ($\pm$ grid err.)"),
    "cosine_median": ("cosine (median)", "cosine (median)"),
    "samples_per_point": ("samples / point", "samples / point"),
    "bias_decisive_x1e4": ("decisive bias ×1e4 (ours, paired) [95 % CI]",
                           r"decisive bias $\times 10^{4}$ (ours) [95\,\% CI]"),
    "cosine_pooled_fd": ("pooled cosine to FD (ours) [95 % CI]",
                         r"pooled cosine to FD (ours) [95\,\% CI]"),
    "variance_reduction": ("variance reduction (ours, ×)", r"variance reduction (ours, $\times$)"),
    "num_points": ("grid points", "grid points"),
    "num_meta_params": ("D (meta-params)", "$D$"),
    "num_probes": ("K (variance probes)", "$K$"),
    "learning_rate": ("lr", "lr"),
    "optimizer": ("optimizer", "optimizer"),
    "num_runs": ("runs", "runs"),
    "num_diverged": ("diverged", "diverged"),
    "final_updates": ("updates", "updates"),
    "final_mean_reward": ("final J (± s.e. over runs)", r"final $J$ ($\pm$ s.e.\ over runs)"),
    "evaluation_se": ("evaluation s.e.", "evaluation s.e."),
    "final_eta_0": ("final η_0", r"final $\eta_0$"),
    "final_eta_1": ("final η_1", r"final $\eta_1$"),
    # Brax MAML (ours)
    "label": ("estimator", "estimator"),
    "trace_var": ("trace variance [95 % CI]", r"trace variance [95\,\% CI]"),
    "bias_output_x1e4": ("dir. bias ×1e4, output layer [95 % CI]", r"dir.\ bias $\times 10^{4}$, output layer"),
    "cosine_output": ("cosine, output layer [95 % CI]", "cosine, output layer"),
    "bias_all_x1e4": ("dir. bias ×1e4, all params [95 % CI]", r"dir.\ bias $\times 10^{4}$, all params"),
    "cosine_all": ("cosine, all params [95 % CI]", "cosine, all params"),
    "samples": ("samples", "samples"),
}
ERR_SUFFIXES = ("_err", "_grid_err", "_se")
# significant digits where 3 would hide the differences the claims compare (default 3)
DIGITS = {"final_mean_reward": 4}
# settings (not measurements): printed exactly, shortest form ("0.2", "0.005")
PARAMETER_COLUMNS = {"truncation", "truncation_length", "coefficient", "meta_discount", "learning_rate",
                     "samples_per_point", "num_points", "num_runs", "num_diverged", "final_updates",
                     "num_meta_params", "num_probes", "samples"}


# ----------------------------------------------------------------------------------------------
# numeric result tables

def _sorted(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    keys = [k for k in keys if k in df.columns]
    if not keys:
        return df.reset_index(drop=True)
    out = df.assign(_est_order=df["estimator"].map(names.order_key)) if "estimator" in df else df
    by = (["_est_order"] if "estimator" in df else []) + [k for k in keys if k != "estimator"]
    out = out.sort_values(by, kind="mergesort", na_position="last")
    return out.drop(columns=["_est_order"], errors="ignore").reset_index(drop=True)


def _codes(series: pd.Series) -> pd.Series:
    """Estimator codes in the current vocabulary (legacy "mg" reads as "correction")."""
    return series.astype(str).map(names.canonical)


def format_frontier(agg: pd.DataFrame) -> pd.DataFrame:
    """Frontier numbers, one row per setting: estimator, truncation, c, gamma_m (when swept),
    bias x 1e4 with the paper's grid error, noise-corrected bias x 1e4 with its 95 %
    batch-bootstrap CI, variance (grid mean and median), cosine (grid mean, grid error)."""
    need = ["estimator", "truncation_length", "bias_raw", "bias_corrected", "variance", "cosine"]
    missing = [c for c in need if c not in agg.columns]
    if missing:
        raise ValueError(f"frontier table lacks columns {missing}; has {list(agg.columns)}")

    rb = None
    if "pairing_group" in agg.columns:   # one row per setting: its raw row; the variance-reduced
        groups = agg["pairing_group"]    # rows (ours) give the variance reduction
        rb = agg[groups.isin(["mg_rb", "es_rb"])].set_index("setting_id")
        agg = agg[groups.isin(["mg", "es"])].reset_index(drop=True)

    def col(name):
        return agg[name].astype(float) if name in agg.columns else pd.Series(np.nan, index=agg.index)

    out = pd.DataFrame({
        "estimator": _codes(agg["estimator"]),
        "truncation": agg["truncation_length"].astype(int),
        "coefficient": col("coefficient"),
        "meta_discount": col("meta_discount"),
        "bias_x1e4": BIAS_SCALE * col("bias_raw"),
        "bias_x1e4_err": BIAS_SCALE * col("bias_raw_grid_err"),
        "bias_corrected_x1e4": BIAS_SCALE * col("bias_corrected"),
        "bias_corrected_x1e4_ci_low": BIAS_SCALE * col("bias_corrected_ci_low"),
        "bias_corrected_x1e4_ci_high": BIAS_SCALE * col("bias_corrected_ci_high"),
        "variance": col("variance"),
        "variance_median": col("variance_median"),
        "cosine": col("cosine"),
        "cosine_err": col("cosine_grid_err"),
        "samples_per_point": col("samples_per_point"),
        "num_points": col("num_points"),
    })
    if "bias_decisive" in agg.columns:   # ours: the decisive metrics (summaries/frontier.py)
        out["bias_decisive_x1e4"] = BIAS_SCALE * col("bias_decisive")
        out["bias_decisive_x1e4_ci_low"] = BIAS_SCALE * col("bias_decisive_ci_low")
        out["bias_decisive_x1e4_ci_high"] = BIAS_SCALE * col("bias_decisive_ci_high")
    if "cosine_pooled_fd" in agg.columns:
        out["cosine_pooled_fd"] = col("cosine_pooled_fd")
        out["cosine_pooled_fd_ci_low"] = col("cosine_pooled_fd_ci_low")
        out["cosine_pooled_fd_ci_high"] = col("cosine_pooled_fd_ci_high")
    if rb is not None and len(rb):
        rb_variance = agg["setting_id"].map(lambda k: rb["variance"].get(f"{k}_rb", np.nan))
        out["variance_reduction"] = col("variance") / rb_variance.astype(float)
    gm = out["meta_discount"]
    if gm.isna().all() or np.allclose(gm.dropna(), 1.0):
        out = out.drop(columns=["meta_discount"])  # no meta-discount sweep in this experiment
    if {"num_meta_params", "num_probes"} <= set(agg.columns) and (agg["num_probes"] < agg["num_meta_params"]).any():
        # the variance is a trace estimated from K < D probe directions (rescaled by D/K): say so
        out["num_meta_params"] = agg["num_meta_params"].astype(int)
        out["num_probes"] = agg["num_probes"].astype(int)
    for c in ("samples_per_point", "num_points"):
        if out[c].notna().all() and np.allclose(out[c], np.round(out[c])):
            out[c] = out[c].round().astype(int)
    return _sorted(out, ["estimator", "truncation", "coefficient", "meta_discount"])


def format_final_performance(df: pd.DataFrame) -> pd.DataFrame:
    """Final performance of meta-training runs, one row per setting."""
    need = ["estimator", "final_mean_reward"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ValueError(f"final-performance table lacks columns {missing}; has {list(df.columns)}")
    out = pd.DataFrame({"estimator": _codes(df["estimator"])})
    for c in ("truncation_length", "coefficient", "meta_discount", "learning_rate", "optimizer",
              "num_runs", "num_diverged", "final_updates"):
        if c in df.columns:
            out[c] = df[c]
    out["final_mean_reward"] = df["final_mean_reward"].astype(float)
    out["final_mean_reward_se"] = (df["final_mean_reward_se"].astype(float)
                                   if "final_mean_reward_se" in df else np.nan)
    for c in ("evaluation_se", "final_eta_0", "final_eta_1"):
        if c in df.columns:
            out[c] = df[c].astype(float)
    return _sorted(out, ["estimator", "truncation_length", "coefficient", "meta_discount", "learning_rate"])


def format_brax_maml(df: pd.DataFrame) -> pd.DataFrame:
    """Brax MAML (ours): one row per estimator of a ``maml_summary`` table
    (:mod:`metagrad.summaries.brax_maml`): trace variance and, per FD direction group, the
    noise-corrected directional bias (x1e4) and the cosine, with 95 % bootstrap intervals."""
    first = df[df["group"] == "pooled"].reset_index(drop=True)
    out = pd.DataFrame({"label": first["label"].astype(str),
                        "trace_var": first["trace_var"].astype(float),
                        "trace_var_ci_low": first["trace_var_ci_low"].astype(float),
                        "trace_var_ci_high": first["trace_var_ci_high"].astype(float)})
    # DiCE - naive is not an estimator of grad J: its row shows the bias it adds to every c,
    # its noise-corrected squared directional mean (``magnitude``), and no cosine
    extra = (first["setting_key"] == "dice_extra").to_numpy()
    out.loc[extra, "label"] = "DiCE − naive: the bias its Hessian term adds (squared mean)"
    for group in ("output", "all"):
        g = df[df["group"] == group].set_index("setting_key").loc[first["setting_key"]]
        for name, scale in (("bias", BIAS_SCALE), ("cosine", 1.0)):
            column = f"{name}_{group}" + ("_x1e4" if name == "bias" else "")
            for suffix in ("", "_ci_low", "_ci_high"):
                values = scale * g[f"{name}{suffix}"].to_numpy(float)
                if name == "bias":
                    values = np.where(extra, scale * g[f"magnitude{suffix}"].to_numpy(float), values)
                else:
                    values = np.where(extra, np.nan, values)
                out[f"{column}{suffix}"] = values
    out["samples"] = first["samples"].astype(int)
    return out


def format_table(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """The numeric result table for a table NAME (see the module docstring)."""
    if name == "brax_maml" or {"trace_var", "group", "setting_key"} <= set(df.columns):
        return format_brax_maml(df)
    if name.startswith("frontier") or {"bias_raw", "bias_corrected"} <= set(df.columns):
        return format_frontier(df)
    if name.endswith("_final") or "final_mean_reward" in df.columns:
        return format_final_performance(df)
    raise ValueError(f"no formatter for table {name!r} with columns {list(df.columns)}; "
                     f"expected a frontier_aggregate or final_performance table")


# ----------------------------------------------------------------------------------------------
# display: value and error in one cell, 3 significant digits

def fmt_number(x, digits: int = 3) -> str:
    """3 significant digits; plain notation for 1e-3 <= |x| < 1e5, else scientific; '' for NaN."""
    if x is None:
        return ""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return f"{int(x):d}"
    try:
        xf = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(xf):
        return ""
    if math.isinf(xf):
        return "inf" if xf > 0 else "-inf"
    if xf == 0:
        return "0"
    if xf == round(xf) and abs(xf) < 1e5:
        return f"{int(round(xf)):d}"
    a = abs(xf)
    if 1e-3 <= a < 1e5:
        decimals = max(0, digits - 1 - int(math.floor(math.log10(a))))
        return f"{xf:.{decimals}f}"
    return f"{xf:.{digits - 1}e}"


def _companions(columns: list[str]) -> dict:
    """Map each value column to its ('err', col) or ('ci', low, high) companion columns."""
    cols = set(columns)
    out = {}
    for c in columns:
        if f"{c}_ci_low" in cols and f"{c}_ci_high" in cols:
            out[c] = ("ci", f"{c}_ci_low", f"{c}_ci_high")
            continue
        for suf in ERR_SUFFIXES:
            if f"{c}{suf}" in cols:
                out[c] = ("err", f"{c}{suf}")
                break
    return out


def _is_text(series: pd.Series) -> bool:
    return series.dtype == object or pd.api.types.is_string_dtype(series)


def display_table(table: pd.DataFrame, tex: bool = False) -> tuple[list[str], list[str], list[list[str]]]:
    """Shown columns, headers and string cells (companion columns merged into their value's cell)."""
    table = table.rename(columns=str)
    columns = list(table.columns)
    comp = _companions(columns)
    used = {x for v in comp.values() for x in v[1:]}
    shown = [c for c in columns if c not in used]
    pm = r"$\pm$" if tex else "±"
    esc = latex_escape if tex else (lambda s: s)
    headers = [HEADERS.get(c, (c, latex_escape(c)))[1 if tex else 0] for c in shown]
    rows = []
    for _, r in table.iterrows():
        cells = []
        for c in shown:
            v = r[c]
            if c == "estimator":
                text = esc(names.short_label(names.canonical(str(v))))
            elif isinstance(v, str):
                text = esc(v)
            elif c in PARAMETER_COLUMNS:
                text = "" if pd.isna(v) else f"{v:g}"
            else:
                d = DIGITS.get(c, 3)
                text = fmt_number(v, d)
                if c in comp and text:
                    kind = comp[c]
                    if kind[0] == "err":
                        e = fmt_number(r[kind[1]], 2)  # errors: 2 significant digits
                        text = f"{text} {pm} {e}" if e else text
                    else:
                        lo, hi = fmt_number(r[kind[1]], d), fmt_number(r[kind[2]], d)
                        if lo and hi:
                            text = f"{text} [{lo}, {hi}]"
            cells.append(text)
        rows.append(cells)
    return shown, headers, rows


def _md_cell(s: str) -> str:
    return str(s).replace("|", r"\|").replace("\n", " ")


def to_markdown(table: pd.DataFrame) -> str:
    """GitHub-flavoured Markdown table (no tabulate needed): header, separator, one line per row."""
    shown, headers, rows = display_table(table, tex=False)
    numeric = [not _is_text(table[c]) for c in shown]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    widths = [max(w, 3) for w in widths]
    lines = ["| " + " | ".join(_md_cell(h).ljust(w) for h, w in zip(headers, widths)) + " |",
             "| " + " | ".join(("-" * (w - 1) + ":") if num else "-" * w
                               for w, num in zip(widths, numeric)) + " |"]
    for r in rows:
        lines.append("| " + " | ".join(
            (_md_cell(c).rjust(w) if num else _md_cell(c).ljust(w))
            for c, w, num in zip(r, widths, numeric)) + " |")
    return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}"}


def latex_escape(s: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(s))


def to_latex(table: pd.DataFrame, caption: str | None = None, label: str | None = None) -> str:
    """A plain ``tabular`` (no booktabs/jinja2 needed): left-aligned text, right-aligned numbers."""
    shown, headers, rows = display_table(table, tex=True)
    align = "".join("l" if _is_text(table[c]) else "r" for c in shown)
    lines = []
    if caption is not None or label is not None:
        lines += [r"\begin{table}[t]", r"\centering", r"\small"]
    lines += [rf"\begin{{tabular}}{{{align}}}", r"\hline", " & ".join(headers) + r" \\", r"\hline"]
    lines += [" & ".join(r) + r" \\" for r in rows]
    lines += [r"\hline", r"\end{tabular}"]
    if caption is not None or label is not None:
        if caption:
            lines.append(rf"\caption{{{latex_escape(caption)}}}")
        if label:
            lines.append(rf"\label{{{label}}}")
        lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def write_tables(name: str, table: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Write ``out_dir/<name>.csv`` (full precision), ``.md`` and ``.tex`` (display), atomically."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv = out_dir / f"{name}.csv"
    md = out_dir / f"{name}.md"
    tex = out_dir / f"{name}.tex"
    atomic_write_text(csv, table.to_csv(index=False, lineterminator="\n"))
    atomic_write_text(md, to_markdown(table))
    atomic_write_text(tex, to_latex(table))
    return [csv, md, tex]


def make_table(name: str, cfg: dict, input_path, out_dir, rule: str | None = None) -> tuple[list[Path], int]:
    """Format the summary table ``input_path`` as NAME (:func:`format_table`), write it with
    :func:`write_tables` and a provenance record ``NAME.provenance.json``; (paths, rows)."""
    from metagrad import provenance as prov
    from metagrad.io import read_table

    start_iso, t0 = prov.now_iso(), time.perf_counter()
    table = format_table(name, read_table(input_path))
    paths = write_tables(name, table, Path(out_dir))
    pj = Path(out_dir) / f"{name}.provenance.json"
    record = prov.make_record(
        kind="table", name=name, cfg=cfg, section=None, start_time=start_iso,
        end_time=prov.now_iso(), wall_seconds=time.perf_counter() - t0,
        outputs=[str(p) for p in paths] + [str(pj)], inputs=[str(input_path)], import_jax=False,
        extra={**({"rule": rule} if rule else {}), "num_rows": int(len(table))})
    prov.write_record(pj, record)
    return paths, len(table)
