rule table_pruning:
    """Unpruned heads vs pruned variants on the fixed test images (per regime and arch)."""
    input:
        features=[paths.features_file(arch) for arch in PLAN.archs],
        heads=[
            path
            for arch in PLAN.archs
            for regime in PLAN.regimes
            for path in PLAN.head_files(PLAN.regime_experiment[regime], arch)
        ],
        pruning=[
            path
            for arch in PLAN.archs
            for regime in PLAN.regimes
            for path in paths.pruning_files(regime, arch, PLAN.seeds)
        ],
        variants=[
            paths.variants_file(regime, arch)
            for regime in PLAN.regimes
            for arch in PLAN.archs
        ],
        splits=rules.make_splits.output.splits,
        images=rules.prepare_metadata.output.images,
    output:
        **table_outputs(["tableA_pruning"]),
        predictions=paths.PRUNING_PREDICTIONS,
    log:
        f"{paths.LOGS}/table_pruning.log",
    conda:
        CONDA_ENV
    params:
        archs=PLAN.archs,
        regimes=PLAN.regime_experiment,
        seeds=PLAN.seeds,
        max_steps=config["pruning"]["max_steps"],
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/table_pruning.py"


rule table_lime_fidelity:
    """Table A.2: fidelity R² of every LIME fit."""
    input:
        lime=PLAN.explained_maps("lime"),
    output:
        **table_outputs(["tableA2_lime_fidelity"]),
    log:
        f"{paths.LOGS}/table_lime_fidelity.log",
    conda:
        CONDA_ENV
    params:
        table="tableA2_lime_fidelity",
        by=["regime", "arch"],
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/table_lime_fidelity.py"


rule table_head_parameters:
    """Table A.3: the regression head of every architecture, its layers and parameters."""
    output:
        **table_outputs(["tableA3_head_parameters"]),
    log:
        f"{paths.LOGS}/table_head_parameters.log",
    conda:
        CONDA_ENV
    params:
        specs=PLAN.head_specs,
        dropout=config["training"]["dropout"],
    script:
        "../scripts/table_head_parameters.py"
