rule psychometrics:
    input:
        images=rules.prepare_metadata.output.images,
        ratings=rules.prepare_metadata.output.ratings,
    output:
        **{name: paths.psychometrics_file(name) for name in PSYCHOMETRICS},
        **table_outputs(["psychometrics"]),
    log:
        f"{paths.LOGS}/psychometrics.log",
    conda:
        CONDA_ENV
    params:
        n_splits=config["psychometrics"]["n_splits"],
        subset=config["psychometrics"]["subset"],
        seed=config["seed"],
    script:
        "../scripts/psychometrics.py"
