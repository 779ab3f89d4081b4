# Figure 1: the return landscape J(eta) on a grid (bandit, L = 30). Spec section 5, item 1.


rule landscape:
    input:
        code=lambda w: experiment_code(w.profile, "landscape"),
    output:
        **table_outputs("landscape"),
    params:
        cfg=lambda w: exp_params(w.profile, "landscape"),
    resources:
        experiment=1,
        **experiment_resources(),
    shell:
        "{CLI} experiment landscape --profile {wildcards.profile} --out {output.table} --rule {rule}"


rule fig1_landscape:
    input:
        tables=["results/{profile}/landscape/landscape.parquet"],
        code=figure_code("landscape"),
    output:
        **figure_outputs("fig1_landscape"),
    params:
        cfg=lambda w: exp_params(w.profile, "landscape"),
    shell:
        "{CLI} figure landscape --profile {wildcards.profile} --tables {input.tables}"
        " --out {output.pdf} --rule {rule}"


register_targets(
    "results/{profile}/landscape/landscape.parquet",
    "figures/{profile}/fig1_landscape.pdf",
)
