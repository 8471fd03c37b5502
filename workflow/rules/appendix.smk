rule table_pruning:
    """Unpruned heads vs pruned variants on the fixed test images (per regime and arch)."""
    input:
        features=[features_file(arch) for arch in ARCHS],
        heads=[
            path
            for arch in ARCHS
            for regime in REGIMES
            for path in head_files(REGIME_EXPERIMENT[regime], arch)
        ],
        pruning=[
            path
            for arch in ARCHS
            for regime in REGIMES
            for path in pruning_files(regime, arch, SEEDS)
        ],
        variants=[variants_file(regime, arch) for regime in REGIMES for arch in ARCHS],
        splits=rules.make_splits.output.splits,
        images=rules.prepare_metadata.output.images,
    output:
        **table_outputs(["tableA_pruning"]),
        predictions="results/pruning/predictions.parquet",
    log:
        f"{LOGS}/table_pruning.log",
    conda:
        CONDA_ENV
    params:
        archs=ARCHS,
        regimes=REGIME_EXPERIMENT,
        seeds=SEEDS,
        max_steps=config["pruning"]["max_steps"],
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/table_pruning.py"


rule table_lime_fidelity:
    """Table A.2: fidelity R² of every LIME fit."""
    input:
        lime=explained_maps("lime"),
    output:
        **table_outputs(["tableA2_lime_fidelity"]),
    log:
        f"{LOGS}/table_lime_fidelity.log",
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
        f"{LOGS}/table_head_parameters.log",
    conda:
        CONDA_ENV
    params:
        specs=HEAD_SPECS,
        dropout=config["training"]["dropout"],
    script:
        "../scripts/table_head_parameters.py"
