rule ensemble:
    input:
        variants=[variants_file("val", arch) for arch in ARCHS],
    output:
        **table_outputs(["table7_ensembles"]),
        predictions=ENSEMBLE_PREDICTIONS,
        stacking=STACKING,
    log:
        f"{LOGS}/ensemble.log",
    conda:
        CONDA_ENV
    params:
        archs=ARCHS,
        controls=CONTROL_ARCHS,
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
        CONDA_ENV
    params:
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/table_ensemble_lime_vs_mpm.py"


rule ensemble_attributions:
    """Ensemble maps are linear in the variants' outputs: no backbone runs here. The ensembles
    are the trained backbones' (the control's variants are not among the stacking weights).
    """
    input:
        maps=lambda wc: method_maps(wc.method, "val", [wc.image], TRAINED_ARCHS),
        stacking=rules.ensemble.output.stacking,
    output:
        ensemble_map_file(),
    log:
        f"{LOGS}/ensemble_attributions/{{method}}_{{image}}.log",
    conda:
        CONDA_ENV
    script:
        "../scripts/ensemble_attributions.py"


rule table_ensemble_lime_fidelity:
    """Table 7c (§5.4): fidelity R² of the ensembles' LIME surrogates."""
    input:
        lime=ensemble_maps("lime"),
    output:
        **table_outputs(["table7c_ensemble_lime_fidelity"]),
    log:
        f"{LOGS}/table_ensemble_lime_fidelity.log",
    conda:
        CONDA_ENV
    params:
        table="table7c_ensemble_lime_fidelity",
        by=["kind"],
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/table_lime_fidelity.py"
