# Brax short-horizon MAML (ours, beyond the paper; spec section 7; issue 13): eta = the policy
# initialisation; experiment table -> summary (bias, variance, cosine with bootstrap intervals)
# -> figure, result table (tables.smk), audit (claims M1-M4 read the experiment table).


rule brax_maml_experiment:
    input:
        code=lambda w: experiment_code(w.profile, "brax_maml"),
    output:
        **table_outputs("brax_maml"),
    params:
        cfg=lambda w: exp_params(w.profile, "brax_maml"),
    resources:
        experiment=1,
        **experiment_resources(),
    shell:
        "{CLI} experiment brax_maml --profile {wildcards.profile} --out {output.table}"
        " --rule {rule}"


rule brax_maml_summary:
    input:
        tables=["results/{profile}/brax_maml/brax_maml.parquet"],
        code=code_files("summaries/brax_maml.py"),
    output:
        summary="results/{profile}/brax_maml/maml_summary.parquet",
    params:
        cfg=lambda w: exp_params(w.profile, "brax_maml"),
    shell:
        "{CLI} summarize brax_maml --profile {wildcards.profile} --section brax_maml"
        " --tables {input.tables} --out-dir results/{wildcards.profile}/brax_maml --rule {rule}"


rule figM1_brax_maml:
    input:
        tables=["results/{profile}/brax_maml/maml_summary.parquet"],
        code=figure_code("brax_maml"),
    output:
        **figure_outputs("figM1_brax_maml"),
    params:
        cfg=lambda w: exp_params(w.profile, "brax_maml"),
    shell:
        "{CLI} figure brax_maml --profile {wildcards.profile} --section brax_maml"
        " --tables {input.tables} --out {output.pdf} --rule {rule}"


register_targets("figures/{profile}/figM1_brax_maml.pdf")
