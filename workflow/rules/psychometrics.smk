rule psychometrics:
    input:
        images="results/data/metadata.parquet",
        ratings="results/data/ratings.parquet",
    output:
        **{name: f"results/psychometrics/{name}.parquet" for name in PSYCHOMETRICS},
        **table_outputs(["psychometrics"]),
    log:
        f"{LOGS}/psychometrics.log",
    conda:
        "../../envs/authxai.yaml"
    params:
        n_splits=config["psychometrics"]["n_splits"],
        subset=config["psychometrics"]["subset"],
        seed=config["seed"],
    script:
        "../scripts/psychometrics.py"
