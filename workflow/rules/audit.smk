# Audit (spec section 8) and the browsable report. Included last, so every figure is registered.
# audit: summary and experiment tables (never figures) -> claims.csv + summary.md
# report: audit outputs + every registered figure PNG and caption -> one self-contained HTML page

AUDIT_TABLES = [
    "results/{profile}/frontier_L80/frontier_L80.parquet",
    "results/{profile}/frontier_L80/frontier_points.parquet",
    "results/{profile}/frontier_L80/frontier_aggregate.parquet",
    "results/{profile}/frontier_L80/frontier_points_paired.parquet",
    "results/{profile}/frontier_L80/frontier_aggregate_paired.parquet",
    "results/{profile}/frontier_L80/fd_smoothing.parquet",
    "results/{profile}/frontier_L30/frontier_L30.parquet",
    "results/{profile}/frontier_L30/frontier_aggregate.parquet",
    "results/{profile}/frontier_L30/frontier_aggregate_paired.parquet",
    "results/{profile}/learning_curves/learning_curves.parquet",
    "results/{profile}/trajectories/trajectories.parquet",
    "results/{profile}/truncated_sgd/truncated_sgd.parquet",
    "results/{profile}/truncated_adam/truncated_adam.parquet",
    "results/{profile}/landscape/landscape.parquet",
    "results/{profile}/maze_gradients/maze_gradients.parquet",
    "results/{profile}/maze_training/maze_training.parquet",
    "results/{profile}/brax_frontier/brax_frontier.parquet",
    "results/{profile}/brax_frontier/frontier_points.parquet",
    "results/{profile}/brax_frontier/frontier_aggregate.parquet",
    "results/{profile}/brax_frontier/frontier_aggregate_paired.parquet",
]

# optional experiments (ours): audited where the profile has them
OPTIONAL_AUDIT_TABLES = {
    "learning_curves_paper_rate": "results/{profile}/learning_curves_paper_rate/learning_curves_paper_rate.parquet",
}


def audit_tables(wildcards):
    experiments = profile_cfg(wildcards.profile)["experiments"]
    return [t.format(profile=wildcards.profile) for t in AUDIT_TABLES] + [
        t.format(profile=wildcards.profile) for name, t in OPTIONAL_AUDIT_TABLES.items()
        if name in experiments]


def _figure_files(suffix):
    return [t[: -len(".pdf")] + suffix for t in _TARGETS if t.startswith("figures/") and t.endswith(".pdf")]


rule audit:
    input:
        tables=audit_tables,
        code=code_files("audit/__init__.py", "audit/settings.py", "audit/stats.py", "audit/store.py",
                        "audit/verdict.py", "audit/frontier_data.py", "audit/claims", "audit/registry.py",
                        "audit/run.py", "metrics.py", "names.py",
                        "summaries/maze_training.py"),
    output:
        claims="results/{profile}/audit/claims.csv",
        summary="results/{profile}/audit/summary.md",
    params:
        cfg=lambda w: canonical_json(profile_cfg(w.profile)),
    shell:
        "{CLI} audit run --profile {wildcards.profile}"
        " --results results/{wildcards.profile} --quiet"


rule report:
    input:
        claims="results/{profile}/audit/claims.csv",
        summary="results/{profile}/audit/summary.md",
        pngs=_figure_files(".png"),
        captions=_figure_files(".caption.txt"),
        code=code_files("audit/report.py", "audit/run.py"),
    output:
        html="results/{profile}/report/index.html",
    shell:
        "{CLI} audit report --profile {wildcards.profile}"
        " --results results/{wildcards.profile} --figures figures/{wildcards.profile}"
        " --out {output.html} --png {input.pngs}"


register_targets(
    "results/{profile}/audit/claims.csv",
    "results/{profile}/report/index.html",
)
