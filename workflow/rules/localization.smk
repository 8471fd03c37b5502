rule localization:
    """Every map of one method (variants, prototypes, ensembles) against the cue masks."""
    input:
        maps=lambda wc: explained_maps(wc.method),
        ensemble=lambda wc: ensemble_maps(wc.method),
        images=rules.prepare_data.output.images,
        masks=image_inputs,
    output:
        localization_file(),
    log:
        f"{LOGS}/localization/{{method}}.log",
    conda:
        CONDA_ENV
    params:
        method=lambda wc: wc.method,
        root=config["dataset"]["root"],
        tolerance=config["localization"]["tolerance"],
    script:
        "../scripts/localization.py"


rule table_localization:
    """Table 8: mean localization scores with bootstrap 95% CIs over images."""
    input:
        [localization_file(m) for m in METHODS],
    output:
        **table_outputs(["table8_localization"]),
        summary="results/localization/summary.parquet",
    log:
        f"{LOGS}/table_localization.log",
    conda:
        CONDA_ENV
    params:
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/table_localization.py"
