rule localization:
    """Every map of one method (variants, prototypes, ensembles) against the cue masks."""
    input:
        maps=lambda wc: PLAN.explained_maps(wc.method),
        ensemble=lambda wc: PLAN.ensemble_maps(wc.method),
        images=rules.prepare_data.output.images,
        masks=PLAN.image_inputs,
    output:
        paths.localization_file(),
    log:
        f"{paths.LOGS}/localization/{{method}}.log",
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
        [paths.localization_file(m) for m in PLAN.methods],
    output:
        **table_outputs(["table8_localization"]),
        summary=paths.LOCALIZATION_SUMMARY,
    log:
        f"{paths.LOGS}/table_localization.log",
    conda:
        CONDA_ENV
    params:
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/table_localization.py"
