"""Run the audit: every claim of the registry against a results folder.

    metagrad audit run --profile P [--results results/P] [--out results/P/audit]

Writes ``claims.csv`` (claim, figure, statement, statistic, value, ci_low, ci_high, paper_value,
verdict, detail), ``summary.md`` (verdict table, evidence per claim, provenance of every table)
and ``claims.provenance.json``. Exit status 0 whatever the verdicts (they are results), 2 on a
bad profile, 1 on other errors (:mod:`metagrad.cli`).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pandas as pd

from metagrad.audit.registry import evaluate_claims
from metagrad.audit.settings import AuditSettings
from metagrad.audit.store import TableStore

__all__ = ["run_audit", "provenance_table", "summary_markdown", "CSV_COLUMNS"]

CSV_COLUMNS = ["claim", "figure", "statement", "statistic", "value", "ci_low", "ci_high",
               "paper_value", "verdict", "detail"]
ICON = {"pass": "✅ pass", "fail": "❌ fail", "inconclusive": "⚠️ inconclusive", "not_run": "⏸ not run"}
KEY_PACKAGES = ("jax", "jaxlib", "numpy", "pandas", "matplotlib", "seaborn", "snakemake")


def _tables(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.parquet")
                  if "checkpoints" not in p.parts and not p.name.startswith("."))


def provenance_table(folder: str | Path, cfg: dict | None = None, pattern: str = "*.parquet",
                     root_label: str | None = None) -> pd.DataFrame:
    """One row per table (or figure) file under ``folder`` with its provenance record's code
    version, config hash, packages, device, host, rule and wall time; ``missing`` flags a file
    without a ``<stem>.provenance.json``. ``current_config`` compares the record's config hash
    with ``cfg`` (the profile as it is now)."""
    from metagrad.config import config_hash

    folder = Path(folder)
    now = config_hash(cfg) if cfg else None
    rows = []
    files = (_tables(folder) if pattern == "*.parquet" else
             sorted(p for p in folder.rglob(pattern) if "checkpoints" not in p.parts)) if folder.is_dir() else []
    for p in files:
        rec_path = p.with_name(p.stem + ".provenance.json")
        rel = str(p.relative_to(folder))
        if root_label:
            rel = f"{root_label}/{rel}"
        row = {"table": rel, "provenance": rec_path.exists()}
        if rec_path.exists():
            try:
                rec = json.loads(rec_path.read_text())
            except (OSError, ValueError) as err:
                row.update(provenance=False, problem=f"unreadable record: {err}")
                rows.append(row)
                continue
            pk = rec.get("packages") or {}
            row.update({
                "rule": rec.get("rule"), "kind": rec.get("kind"), "name": rec.get("name"),
                "git_commit": (rec.get("git_commit") or "")[:12], "git_dirty": rec.get("git_dirty"),
                "config_hash": (rec.get("config_hash") or "")[:12],
                "section_hash": (rec.get("section_hash") or "")[:12] if rec.get("section_hash") else "",
                "current_config": (rec.get("config_hash") == now) if now else None,
                "packages": ", ".join(f"{k} {pk[k]}" for k in KEY_PACKAGES if pk.get(k)),
                "device": (f"{rec.get('jax_backend')}: {', '.join(rec.get('jax_devices') or [])}"
                           if rec.get("jax_backend") else "(no JAX)"),
                "host": rec.get("hostname"), "python": rec.get("python"),
                "end_time": rec.get("end_time"), "wall_seconds": rec.get("wall_seconds"),
            })
        else:
            row["problem"] = "no provenance record"
        rows.append(row)
    return pd.DataFrame(rows)


def _md_cell(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x).replace("|", "\\|").replace("\n", " ")


def _md_table(df: pd.DataFrame) -> str:
    if df is None or df.empty:
        return "(none)\n"
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        lines.append("| " + " | ".join(_md_cell(r[c]) for c in cols) + " |")
    return "\n".join(lines) + "\n"


def summary_markdown(profile: str, results, prov: pd.DataFrame, results_dir: Path,
                     seconds: float) -> str:
    rows = pd.DataFrame([r.row() for r in results])
    counts = rows["verdict"].value_counts()
    out = [f"# Audit of the reproduction — profile `{profile}`", "",
           f"Results folder `{results_dir}`; {len(rows)} claims and findings; "
           + ", ".join(f"{counts.get(v, 0)} {v}" for v in ("pass", "fail", "inconclusive", "not_run"))
           + f". Audit time {seconds:.1f} s.", "",
           "Tests: one-sided, family level α = 0.05 per claim with a Holm–Bonferroni correction; "
           "frontier comparisons by a batch bootstrap, paired wherever settings share samples "
           "(all MG settings and DiCE; ES settings among themselves); training comparisons over "
           "seeds, paired (same evaluation bandits). Each test's interval is printed at the Holm "
           "levels that decide it. *Inconclusive* states the sample size that would decide the "
           "claim, or warns when an estimate lies on the wrong side of its threshold. Definitions: `src/metagrad/audit/registry.py` and `src/metagrad/audit/claims/`.", "",
           "## Verdicts", ""]
    vt = rows[["claim", "figure", "verdict", "statistic", "value", "ci_low", "ci_high"]].copy()
    vt["verdict"] = vt["verdict"].map(lambda v: ICON.get(v, v))
    vt.insert(2, "statement", [r.statement for r in results])
    out.append(_md_table(vt))
    out += ["## Evidence per claim", ""]
    for r in results:
        out += [f"### {r.claim} ({r.figure}) — {ICON.get(r.verdict, r.verdict)}", "",
                f"**Claim.** {r.statement}", "", f"**Paper.** {r.paper_value}", "",
                f"**Statistic.** {r.statistic}: {_md_cell(r.value)} "
                f"(interval [{_md_cell(r.ci_low)}, {_md_cell(r.ci_high)}])", "",
                f"**Detail.** {r.detail}", ""]
        for n in r.notes:
            out.append(f"- {n}")
        if r.notes:
            out.append("")
        if r.tests is not None and len(r.tests):
            t = r.tests.copy()
            out += ["<details><summary>tests</summary>", "", _md_table(t), "</details>", ""]
        if r.evidence:
            out += r.evidence + [""]
    out += ["## Provenance", ""]
    if prov.empty:
        out.append("No tables found.\n")
    else:
        missing = prov[~prov["provenance"].astype(bool)]
        if len(missing):
            out.append("**Tables without a provenance record:** "
                       + ", ".join(f"`{t}`" for t in missing["table"]) + "\n")
        else:
            out.append(f"Every one of the {len(prov)} tables has its provenance record.\n")
        if "git_commit" in prov.columns:
            commits = sorted({f"{c}{' (dirty)' if d else ''}" for c, d in
                              zip(prov["git_commit"].fillna(""), prov["git_dirty"]) if c})
            out.append(f"Code versions: {', '.join(commits) or '(unknown)'}.")
            if "current_config" in prov.columns and (prov["current_config"] == False).any():  # noqa: E712
                stale = prov.loc[prov["current_config"] == False, "table"]  # noqa: E712
                out.append(f"Built from another version of the profile config than the current one: "
                           + ", ".join(f"`{t}`" for t in stale) + ".")
            if "wall_seconds" in prov.columns:
                out.append(f"Total wall time of the recorded rules: {pd.to_numeric(prov['wall_seconds'], errors='coerce').sum():.1f} s.")
            out.append("")
        cols = [c for c in ("table", "rule", "git_commit", "git_dirty", "config_hash", "current_config",
                            "device", "host", "wall_seconds", "packages", "problem") if c in prov.columns]
        out.append(_md_table(prov[cols]))
    return "\n".join(out) + "\n"


def run_audit(results_dir, profile_cfg: dict, out_dir=None, claims=None) -> pd.DataFrame:
    """Evaluate every claim on ``results_dir``; write claims.csv, summary.md and a provenance
    record under ``out_dir`` (default ``results_dir/audit``). Returns the claims table."""
    from metagrad import provenance as prov_mod
    from metagrad.io import atomic_write_text

    results_dir = Path(results_dir)
    out_dir = Path(out_dir) if out_dir else results_dir / "audit"
    start, t0 = prov_mod.now_iso(), time.time()
    tables = TableStore(results_dir)
    results = evaluate_claims(tables, profile_cfg, claims=claims)
    df = pd.DataFrame([r.row() for r in results], columns=CSV_COLUMNS)
    prov = provenance_table(results_dir, profile_cfg)
    prov = prov[~prov["table"].str.startswith("audit/")] if len(prov) else prov
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "claims.csv", df.to_csv(index=False))
    seconds = time.time() - t0
    md = summary_markdown(profile_cfg.get("profile", "?"), results, prov, results_dir, seconds)
    atomic_write_text(out_dir / "summary.md", md)
    if len(prov):
        atomic_write_text(out_dir / "provenance.csv", prov.to_csv(index=False))
    rec = prov_mod.make_record(
        kind="audit", name="audit", cfg=profile_cfg, section={"audit": AuditSettings.from_cfg(profile_cfg).__dict__},
        start_time=start, end_time=prov_mod.now_iso(), wall_seconds=time.time() - t0,
        outputs=[str(out_dir / "claims.csv"), str(out_dir / "summary.md")],
        inputs=[str(p) for p in _tables(results_dir) if p.parent.name != "audit"], import_jax=False)
    prov_mod.write_record(out_dir / "claims.provenance.json", rec)
    return df
