# Figures 4, 5 (L = 80) and 8 (L = 30): bias-variance frontiers. Spec section 5, items 4, 5, 8.
# The experiment and summary rules also make the Brax frontier (ours; figures in brax.smk).
# experiment table -> summary (frontier metrics, computed once) -> figures, tables, audit.


rule frontier_experiment:
    input:
        code=lambda w: experiment_code(w.profile, w.frontier),
    output:
        table="results/{profile}/{frontier}/{frontier}.parquet",
        provenance="results/{profile}/{frontier}/{frontier}.provenance.json",
    params:
        cfg=lambda w: exp_params(w.profile, w.frontier),
    wildcard_constraints:
        frontier="frontier_L80|frontier_L30|brax_frontier",
    resources:
        experiment=1,
        **experiment_resources(),
    shell:
        "{CLI} experiment {wildcards.frontier} --profile {wildcards.profile}"
        " --out {output.table} --rule {rule}"


rule frontier_summary:
    input:
        tables=["results/{profile}/{frontier}/{frontier}.parquet"],
        code=code_files("summaries/frontier.py", "metrics.py"),
    output:
        points="results/{profile}/{frontier}/frontier_points.parquet",
        aggregate="results/{profile}/{frontier}/frontier_aggregate.parquet",
        points_paired="results/{profile}/{frontier}/frontier_points_paired.parquet",
        aggregate_paired="results/{profile}/{frontier}/frontier_aggregate_paired.parquet",
        fd_smoothing="results/{profile}/{frontier}/fd_smoothing.parquet",
    params:
        cfg=lambda w: exp_params(w.profile, w.frontier),
    wildcard_constraints:
        frontier="frontier_L80|frontier_L30|brax_frontier",
    shell:
        "{CLI} summarize frontier --profile {wildcards.profile} --section {wildcards.frontier}"
        " --tables {input.tables} --out-dir results/{wildcards.profile}/{wildcards.frontier}"
        " --rule {rule}"


FRONTIER_FIGURES = {
    "fig4_frontier_bias": ("frontier_bias", "frontier_L80"),
    "fig5_frontier_cosine": ("frontier_cosine", "frontier_L80"),
    "fig8_coefficient_vs_discount": ("coefficient_vs_discount", "frontier_L30"),
}


for _figure, (_module, _experiment) in FRONTIER_FIGURES.items():

    rule:
        name:
            _figure
        input:
            tables=[
                f"results/{{profile}}/{_experiment}/frontier_points.parquet",
                f"results/{{profile}}/{_experiment}/frontier_aggregate.parquet",
            ],
            code=figure_code(_module),
        output:
            **figure_outputs(_figure),
        params:
            cfg=lambda w, _experiment=_experiment: exp_params(w.profile, _experiment),
            module=_module,
            section=_experiment,
        shell:
            "{CLI} figure {params.module} --profile {wildcards.profile} --section {params.section}"
            " --tables {input.tables} --out {output.pdf} --rule {rule}"

    register_targets(f"figures/{{profile}}/{_figure}.pdf")
