# Result tables as CSV, Markdown and LaTeX: the frontier numbers and final learning-curve
# performance. Read only summary tables.

TABLE_SOURCES = {
    "frontier_L80": "results/{profile}/frontier_L80/frontier_aggregate.parquet",
    "frontier_L30": "results/{profile}/frontier_L30/frontier_aggregate.parquet",
    "brax_frontier": "results/{profile}/brax_frontier/frontier_aggregate.parquet",
    "brax_maml": "results/{profile}/brax_maml/maml_summary.parquet",   # ours
    "learning_curves_final": "results/{profile}/learning_curves/final_performance.parquet",
    "trajectories_final": "results/{profile}/trajectories/final_performance.parquet",
    "truncated_sgd_final": "results/{profile}/truncated_sgd/final_performance.parquet",
    "truncated_adam_final": "results/{profile}/truncated_adam/final_performance.parquet",
}


rule result_table:
    input:
        table=lambda w: TABLE_SOURCES[w.name].format(profile=w.profile),
        code=code_files("tables.py"),
    output:
        csv="results/{profile}/tables/{name}.csv",
        md="results/{profile}/tables/{name}.md",
        tex="results/{profile}/tables/{name}.tex",
    wildcard_constraints:
        name="|".join(TABLE_SOURCES),
    shell:
        "{CLI} table {wildcards.name} --profile {wildcards.profile} --input {input.table}"
        " --out-dir results/{wildcards.profile}/tables"


for _name in TABLE_SOURCES:
    register_targets(f"results/{{profile}}/tables/{_name}.csv")
