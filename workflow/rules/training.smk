# Figures 2, 3, 6, 7: meta-training runs (trajectories and learning curves), L = 30.
# Spec section 5, items 2, 3, 6, 7.

TRAINING_EXPERIMENTS = ("trajectories|learning_curves|learning_curves_paper_rate|truncated_sgd"
                        "|truncated_adam")


rule training_experiment:
    input:
        code=lambda w: experiment_code(w.profile, w.training),
    output:
        table="results/{profile}/{training}/{training}.parquet",
        provenance="results/{profile}/{training}/{training}.provenance.json",
    params:
        cfg=lambda w: exp_params(w.profile, w.training),
    wildcard_constraints:
        training=TRAINING_EXPERIMENTS,
    resources:
        experiment=1,
        **experiment_resources(),
    shell:
        "{CLI} experiment {wildcards.training} --profile {wildcards.profile}"
        " --out {output.table} --rule {rule}"


rule training_summary:
    input:
        tables=["results/{profile}/{training}/{training}.parquet"],
        code=code_files("summaries/training.py"),
    output:
        final="results/{profile}/{training}/final_performance.parquet",
    params:
        cfg=lambda w: exp_params(w.profile, w.training),
    wildcard_constraints:
        training=TRAINING_EXPERIMENTS,
    shell:
        "{CLI} summarize training --profile {wildcards.profile} --section {wildcards.training}"
        " --tables {input.tables} --out-dir results/{wildcards.profile}/{wildcards.training}"
        " --rule {rule}"


TRAINING_FIGURES = {
    "fig2_trajectories": ("trajectories", ["trajectories/trajectories", "landscape/landscape"]),
    "fig3_learning_curves": ("learning_curves", ["learning_curves/learning_curves"]),
    "fig6_truncated_sgd": ("truncated_curves", ["truncated_sgd/truncated_sgd"]),
    "fig7_truncated_adam": ("truncated_curves", ["truncated_adam/truncated_adam"]),
}


for _figure, (_module, _tables) in TRAINING_FIGURES.items():
    _section = _tables[0].split("/")[0]

    rule:
        name:
            _figure
        input:
            tables=[f"results/{{profile}}/{t}.parquet" for t in _tables],
            code=figure_code(_module),
        output:
            **figure_outputs(_figure),
        params:
            cfg=lambda w, _section=_section: exp_params(w.profile, _section),
            module=_module,
            section=_section,
        shell:
            "{CLI} figure {params.module} --profile {wildcards.profile} --section {params.section}"
            " --tables {input.tables} --out {output.pdf} --rule {rule}"

    register_targets(f"figures/{{profile}}/{_figure}.pdf")
