rule localization:
    """Every map of one method (variants, prototypes, ensembles) against the cue masks."""
    input:
        maps=lambda wc: [
            path
            for regime in REGIMES
            for path in method_maps(wc.method, regime, ATTRIBUTE[regime])
        ],
        ensemble=lambda wc: ensemble_maps(wc.method),
        images="results/data/images.parquet",
        masks=image_inputs,
    output:
        "results/localization/{method}.parquet",
    log:
        f"{LOGS}/localization/{{method}}.log",
    wildcard_constraints:
        method="|".join(METHODS),
    conda:
        "../../envs/authxai.yaml"
    params:
        method=lambda wc: wc.method,
        root=config["dataset"]["root"],
        tolerance=config["localization"]["tolerance"],
    script:
        "../scripts/localization.py"


rule table_localization:
    """Table 8: mean localization scores with bootstrap 95% CIs over images."""
    input:
        expand("results/localization/{method}.parquet", method=METHODS),
    output:
        **table_outputs(["table8_localization"]),
        summary="results/localization/summary.parquet",
    log:
        f"{LOGS}/table_localization.log",
    conda:
        "../../envs/authxai.yaml"
    params:
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/table_localization.py"
