# Brax (ours, beyond the paper; spec section 7): the bias-variance frontier of the estimators on
# a physics task (experiment + summary: frontier.smk's rules, `brax_frontier`), its figures and
# the meta-learning curves. Experiment tables -> figures, tables, audit (claims B1-B6).


rule brax_training:
    input:
        code=lambda w: experiment_code(w.profile, "brax_training"),
    output:
        **table_outputs("brax_training"),
    params:
        cfg=lambda w: exp_params(w.profile, "brax_training"),
    resources:
        experiment=1,
        **experiment_resources(),
    shell:
        "{CLI} experiment brax_training --profile {wildcards.profile} --out {output.table}"
        " --rule {rule}"


BRAX_FIGURES = {
    "figB1_brax_frontier": ("brax_frontier", ["frontier_points", "frontier_aggregate",
                                              "frontier_aggregate_paired"]),
    "figB2_brax_cosine": ("brax_cosine", ["frontier_points", "frontier_aggregate",
                                          "frontier_aggregate_paired"]),
}


for _figure, (_module, _tables) in BRAX_FIGURES.items():

    rule:
        name:
            _figure
        input:
            tables=[f"results/{{profile}}/brax_frontier/{t}.parquet" for t in _tables],
            code=figure_code(_module, extra=("figures/brax_frontier.py",)),
        output:
            **figure_outputs(_figure),
        params:
            cfg=lambda w: exp_params(w.profile, "brax_frontier"),
            module=_module,
        shell:
            "{CLI} figure {params.module} --profile {wildcards.profile} --section brax_frontier"
            " --tables {input.tables} --out {output.pdf} --rule {rule}"

    register_targets(f"figures/{{profile}}/{_figure}.pdf")


rule figB3_brax_curves:
    input:
        tables=["results/{profile}/brax_training/brax_training.parquet"],
        code=figure_code("brax_curves", extra=("figures/brax_frontier.py",)),
    output:
        **figure_outputs("figB3_brax_curves"),
    params:
        cfg=lambda w: exp_params(w.profile, "brax_training"),
    shell:
        "{CLI} figure brax_curves --profile {wildcards.profile} --section brax_training"
        " --tables {input.tables} --out {output.pdf} --rule {rule}"


register_targets("figures/{profile}/figB3_brax_curves.pdf")
