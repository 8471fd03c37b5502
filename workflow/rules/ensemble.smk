rule ensemble:
    input:
        variants=[paths.variants_file("val", arch) for arch in PLAN.archs],
    output:
        **table_outputs(["table7_ensembles"]),
        predictions=paths.ENSEMBLE_PREDICTIONS,
        stacking=paths.STACKING,
    log:
        f"{paths.LOGS}/ensemble.log",
    conda:
        CONDA_ENV
    params:
        archs=PLAN.archs,
        controls=PLAN.control_archs,
        seed=config["seed"],
        settings=config["ensemble"],
        n_boot=config["uncertainty"]["n_boot"],
    script:
        "../scripts/ensemble.py"


rule table_ensemble_lime_vs_mpm:
    """Table 7b (§5.4): the ensembles' LIME vs MPM maps on the global test images."""
    input:
        lime=PLAN.ensemble_maps("lime"),
        mpm=PLAN.ensemble_maps("mpm"),
    output:
        **table_outputs(["table7b_ensemble_lime_vs_mpm"]),
        per_image=paths.ENSEMBLE_LIME_VS_MPM,
    log:
        f"{paths.LOGS}/table_ensemble_lime_vs_mpm.log",
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
        maps=lambda wc: PLAN.method_maps(
            wc.method, "val", [wc.image], PLAN.trained_archs
        ),
        stacking=rules.ensemble.output.stacking,
    output:
        paths.ensemble_map_file(),
    log:
        f"{paths.LOGS}/ensemble_attributions/{{method}}_{{image}}.log",
    conda:
        CONDA_ENV
    script:
        "../scripts/ensemble_attributions.py"


rule table_ensemble_lime_fidelity:
    """Table 7c (§5.4): fidelity R² of the ensembles' LIME surrogates."""
    input:
        lime=PLAN.ensemble_maps("lime"),
    output:
        **table_outputs(["table7c_ensemble_lime_fidelity"]),
    log:
        f"{paths.LOGS}/table_ensemble_lime_fidelity.log",
    conda:
        CONDA_ENV
    params:
        table="table7c_ensemble_lime_fidelity",
        by=["kind"],
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/table_lime_fidelity.py"
