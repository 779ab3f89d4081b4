"""Brax MAML (ours, issue 13) at smoke size through Snakemake, in a temporary copy of the
workflow: the experiment, summary, figure and result table build; the caption labels the
results ours and names the backend; the table holds every estimator, paired on the same
samples, and the FD reference; the claims M1-M4 run on it (any verdict but an error: smoke
sizes decide nothing). The only test that compiles the Brax
program (about 40 s on 2 CPU cores); everything else is proven on the bandit."""

import pandas as pd

from metagrad.audit import CLAIMS, TableStore
from metagrad.config import load_config
from helpers import use_fast_compile
from test_workflow import copy_workflow, snakemake

TARGETS = ["figures/smoke/figM1_brax_maml.pdf", "results/smoke/tables/brax_maml.csv"]


def test_brax_maml_targets_build_at_smoke_size(tmp_path, monkeypatch):
    use_fast_compile(monkeypatch)   # smoke numbers are checked for plumbing only
    root = copy_workflow(tmp_path)
    res = snakemake("--profile", "workflow/profiles/smoke", "--cores", "2", *TARGETS, cwd=root,
                    timeout=900)
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    for target in TARGETS:
        assert (root / target).stat().st_size > 0, target
    caption = (root / "figures/smoke/figM1_brax_maml.caption.txt").read_text()
    assert "ours" in caption and "spring backend" in caption, caption[:300]
    raw = pd.read_parquet(root / "results/smoke/brax_maml/brax_maml.parquet")
    assert set(raw["setting_key"]) == {"naive", "c0.5", "correction", "dice", "dice_correction",
                                       "first_order", "correction_sibling", "dice_extra", "fd"}
    assert raw.filter(like="mean_").notna().all().all() and (raw["trace_var"] > 0).all()
    summary = pd.read_parquet(root / "results/smoke/brax_maml/maml_summary.parquet")
    assert set(summary["group"]) == {"output", "all", "pooled"}
    store = TableStore(root / "results/smoke")
    for claim in (c for c in CLAIMS if c.id.startswith("M")):
        result = claim.run(store, load_config("smoke", root=root))
        assert result.verdict in ("pass", "fail", "inconclusive"), (claim.id, result.detail)
