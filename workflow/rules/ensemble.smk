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


rule table_ensemble_lime_vs_mpm:
    """Table 7b (§5.4): the ensembles' LIME vs MPM maps on the global test images."""
    input:
        lime=ensemble_maps("lime"),
        mpm=ensemble_maps("mpm"),
    output:
        **table_outputs(["table7b_ensemble_lime_vs_mpm"]),
        per_image="results/ensemble/lime_vs_mpm.parquet",
    log:
        f"{LOGS}/table_ensemble_lime_vs_mpm.log",
    conda:
        "../../envs/authxai.yaml"
    params:
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/table_ensemble_lime_vs_mpm.py"


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
