"""Every Brax target (ours, spec section 7) at smoke size through Snakemake, in a temporary copy
of the workflow: the frontier figures and table, the meta-learning curves, their provenance
naming the backend, captions labelling the results ours, and the audit's Brax claims on the
smoke tables (any verdict but an error: smoke sizes decide nothing)."""

import json

import pandas as pd

from metagrad.audit import CLAIMS, TableStore
from metagrad.config import load_config
from helpers import use_fast_compile
from test_workflow import copy_workflow, snakemake

TARGETS = ["figures/smoke/figB1_brax_frontier.pdf", "figures/smoke/figB2_brax_cosine.pdf",
           "figures/smoke/figB3_brax_curves.pdf", "results/smoke/tables/brax_frontier.csv"]


def test_every_brax_target_builds_at_smoke_size(tmp_path, monkeypatch):
    use_fast_compile(monkeypatch)   # smoke numbers are checked for plumbing only
    root = copy_workflow(tmp_path)
    res = snakemake("--profile", "workflow/profiles/smoke", "--cores", "2", *TARGETS, cwd=root,
                    timeout=1200)
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    for target in TARGETS:
        assert (root / target).stat().st_size > 0, target
    for stem in ("figB1_brax_frontier", "figB2_brax_cosine", "figB3_brax_curves"):
        caption = (root / f"figures/smoke/{stem}.caption.txt").read_text()
        assert "ours" in caption and "spring backend" in caption, caption[:300]
    prov = json.loads((root / "results/smoke/brax_frontier/brax_frontier.provenance.json").read_text())
    assert "spring" in json.dumps(prov["config"]), prov.keys()
    raw = pd.read_parquet(root / "results/smoke/brax_frontier/brax_frontier.parquet")
    assert set(raw["pairing_group"]) >= {"mg", "mg_rb", "mg_paired", "fd"}
    assert raw.filter(like="mean_").notna().all().all()
    curves = pd.read_parquet(root / "results/smoke/brax_training/brax_training.parquet")
    assert set(curves["label"]) == {"naive", "truncated correction", "untruncated correction", "ES"}
    assert curves["mean_reward"].notna().all()
    store = TableStore(root / "results/smoke")
    for claim in (c for c in CLAIMS if c.id.startswith("B")):
        result = claim.run(store, load_config("smoke", root=root))
        assert result.verdict in ("pass", "fail", "inconclusive"), (claim.id, result.detail)
    # B3 has teeth: shifting the baseline rows' means (what a biased baseline does) fails it
    frames = {k: pd.read_parquet(root / f"results/smoke/{k}.parquet")
              for k in ("brax_frontier/brax_frontier", "brax_frontier/frontier_aggregate",
                        "brax_frontier/frontier_points")}
    shifted = frames["brax_frontier/brax_frontier"].copy()
    rb = shifted["pairing_group"] == "mg_rb"
    noise = shifted.loc[rb, "mean_0"].std() + 1e-3
    shifted.loc[rb, "mean_0"] += 100 * noise * (1 + shifted.loc[rb, "batch"])
    b3 = next(c for c in CLAIMS if c.id == "B3")
    cfg = load_config("smoke", root=root)
    moved = "The baseline moved the mean"
    assert not any(n.startswith(moved) for n in b3.run(TableStore(frames=frames), cfg).notes)
    frames["brax_frontier/brax_frontier"] = shifted
    shifted_result = b3.run(TableStore(frames=frames), cfg)
    assert shifted_result.verdict == "fail" and any(n.startswith(moved) for n in shifted_result.notes)
    again = snakemake("--profile", "workflow/profiles/smoke", "--cores", "2", *TARGETS, cwd=root)
    assert "Nothing to be done" in again.stdout + again.stderr
