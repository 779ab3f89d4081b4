# Figure 9: the maze's meta-gradient of the entropy coefficient with and without the advantage
# in the outer loss, against FD (spec section 6; claim C11). Experiment table -> figure; audit.
# Figure 10: the context entropy coefficient meta-trained over persistent agents by MG, online
# ES and PES (ours); claims C13, C14 (ours).


rule maze_gradients:
    input:
        code=lambda w: experiment_code(w.profile, "maze_gradients"),
    output:
        **table_outputs("maze_gradients"),
    params:
        cfg=lambda w: exp_params(w.profile, "maze_gradients"),
    resources:
        experiment=1,
        **experiment_resources(),
    shell:
        "{CLI} experiment maze_gradients --profile {wildcards.profile} --out {output.table}"
        " --rule {rule}"


rule fig9_maze_gradients:
    input:
        tables=["results/{profile}/maze_gradients/maze_gradients.parquet"],
        code=figure_code("maze_gradients"),
    output:
        **figure_outputs("fig9_maze_gradients"),
    params:
        cfg=lambda w: exp_params(w.profile, "maze_gradients"),
    shell:
        "{CLI} figure maze_gradients --profile {wildcards.profile} --section maze_gradients"
        " --tables {input.tables} --out {output.pdf} --rule {rule}"


register_targets("figures/{profile}/fig9_maze_gradients.pdf")


rule maze_training:
    input:
        code=lambda w: experiment_code(w.profile, "maze_training"),
    output:
        **table_outputs("maze_training"),
    params:
        cfg=lambda w: exp_params(w.profile, "maze_training"),
    resources:
        experiment=1,
        **experiment_resources(),
    shell:
        "{CLI} experiment maze_training --profile {wildcards.profile} --out {output.table}"
        " --rule {rule}"


rule fig10_maze_training:
    input:
        tables=["results/{profile}/maze_training/maze_training.parquet"],
        code=figure_code("maze_training", extra=("summaries/maze_training.py",)),
    output:
        **figure_outputs("fig10_maze_training"),
    params:
        cfg=lambda w: exp_params(w.profile, "maze_training"),
    shell:
        "{CLI} figure maze_training --profile {wildcards.profile} --section maze_training"
        " --tables {input.tables} --out {output.pdf} --rule {rule}"


register_targets("figures/{profile}/fig10_maze_training.pdf")
