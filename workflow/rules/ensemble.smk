rule ensemble:
    input:
        variants=expand("results/variants/val/{arch}.parquet", arch=ARCHS),
    output:
        **table_outputs(["table7_ensembles"]),
        predictions="results/ensemble/predictions.parquet",
        stacking="results/ensemble/stacking.json",
    log:
        f"{LOGS}/ensemble.log",
    conda:
        "../../envs/authxai.yaml"
    params:
        archs=ARCHS,
        seed=config["seed"],
        settings=config["ensemble"],
        n_boot=config["uncertainty"]["n_boot"],
    script:
        "../scripts/ensemble.py"


rule ensemble_attributions:
    """Ensemble maps are linear in the variants' outputs: no backbone runs here."""
    input:
        maps=lambda wc: method_maps(wc.method, "val", [wc.image]),
        stacking="results/ensemble/stacking.json",
    output:
        "results/ensemble/attributions/{method}/{image}.parquet",
    log:
        f"{LOGS}/ensemble_attributions/{{method}}_{{image}}.log",
    conda:
        "../../envs/authxai.yaml"
    script:
        "../scripts/ensemble_attributions.py"
