rule table_pruning:
    """Unpruned heads vs pruned variants on the fixed test images (per regime and arch)."""
    input:
        features=expand("results/features/{arch}.safetensors", arch=ARCHS),
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
        variants=expand(
            "results/variants/{regime}/{arch}.parquet", regime=REGIMES, arch=ARCHS
        ),
        splits="results/splits/splits.parquet",
        images="results/data/metadata.parquet",
    output:
        **table_outputs(["tableA_pruning"]),
        predictions="results/pruning/predictions.parquet",
    log:
        f"{LOGS}/table_pruning.log",
    conda:
        "../../envs/authxai.yaml"
    params:
        archs=ARCHS,
        regimes=REGIME_EXPERIMENT,
        seeds=SEEDS,
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/table_pruning.py"


rule table_lime_fidelity:
    """Table A.2: fidelity R² of every LIME fit."""
    input:
        lime=[
            path
            for regime in REGIMES
            for path in method_maps("lime", regime, ATTRIBUTE[regime])
        ],
    output:
        **table_outputs(["tableA2_lime_fidelity"]),
    log:
        f"{LOGS}/table_lime_fidelity.log",
    conda:
        "../../envs/authxai.yaml"
    params:
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/table_lime_fidelity.py"
