rule predict_variants:
    """Predictions and penultimate embeddings of every pruned variant, from the cache."""
    input:
        features=rules.extract_features.output.features,
        heads=regime_heads(),
        pruning=regime_pruning(),
        splits=rules.make_splits.output.splits,
        images=rules.prepare_metadata.output.images,
        weights=weights_input,
    output:
        variants_file(),
    log:
        f"{LOGS}/predict_variants/{{regime}}_{{arch}}.log",
    priority: PRIORITY["models"]
    conda:
        CONDA_ENV
    params:
        weights=backbone_weights,
    script:
        "../scripts/predict_variants.py"


rule consistency_within:
    input:
        maps=lambda wc: explained_maps(wc.method, ["test"]),
        variants=[variants_file("test", arch) for arch in ARCHS],
    output:
        per_image=within_file(),
        pairs=within_file(kind="pairs_"),
        summary=within_file(kind="_summary"),
    log:
        f"{LOGS}/consistency_within/{{method}}.log",
    conda:
        CONDA_ENV
    resources:
        **job_resources(mem_mb=16000, runtime=30),
    params:
        method=lambda wc: wc.method,
        explain=EXPLAINED_TEST_IMAGES.get("test", []),
    script:
        "../scripts/consistency_within.py"


rule table_consistency:
    """Tables 4, 5 (and 5b: MPM, beyond the paper) from the per-method summaries."""
    input:
        per_image=[within_file(m) for m in WITHIN_METHODS],
        summaries=[within_file(m, "_summary") for m in WITHIN_METHODS],
    output:
        **table_outputs(WITHIN_TABLES.values()),
    log:
        f"{LOGS}/table_consistency.log",
    conda:
        CONDA_ENV
    params:
        tables=list(WITHIN_TABLES.values()),
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/table_consistency.py"


rule consistency_across:
    """Prototypes of the configured variants (consistency.prototype_seeds)."""
    input:
        maps=lambda wc: method_maps(wc.method, "test", EXPLAINED_TEST_IMAGES["test"]),
    output:
        across=across_file(),
        prototypes=across_file(what="prototypes"),
    log:
        f"{LOGS}/consistency_across/{{method}}.log",
    conda:
        CONDA_ENV
    resources:
        **job_resources(mem_mb=16000, runtime=30),
    params:
        method=lambda wc: wc.method,
        images=EXPLAINED_TEST_IMAGES["test"],
        seeds=lambda wc: prototype_seeds(wc.method),
        prototypes=lambda wc: prototype_label(prototype_seeds(wc.method), SEEDS),
    script:
        "../scripts/consistency_across.py"


rule consistency_across_allvariants:
    """The labelled extra where prototypes average a subset: prototypes of every variant."""
    input:
        maps=lambda wc: method_maps(wc.method, "test", EXPLAINED_TEST_IMAGES["test"]),
    output:
        across=across_file("{method}_allvariants"),
        prototypes=across_file("{method}_allvariants", "prototypes"),
    log:
        f"{LOGS}/consistency_across/{{method}}_allvariants.log",
    conda:
        CONDA_ENV
    params:
        method=lambda wc: wc.method,
        images=EXPLAINED_TEST_IMAGES["test"],
        seeds=lambda wc: method_seeds(wc.method),
        prototypes=lambda wc: prototype_label(method_seeds(wc.method), SEEDS),
    script:
        "../scripts/consistency_across.py"


rule table_across_prototypes:
    """Across-architecture agreement per pair of architectures, per kind of prototype."""
    input:
        across=[across_file(m) for m in ACROSS_METHODS]
        + [across_file(f"{m}_allvariants") for m in ALLVARIANT_METHODS],
    output:
        **table_outputs(["tableA_across_prototypes"]),
    log:
        f"{LOGS}/table_across_prototypes.log",
    conda:
        CONDA_ENV
    params:
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/table_across_prototypes.py"


rule consistency_relations:
    input:
        within=[within_file(m) for m in WITHIN_METHODS],
        variants=[variants_file("test", arch) for arch in ARCHS],
    output:
        **table_outputs(["table6_consistency_relations", "tableA4_consistency_vs_mae"]),
        relations="results/consistency/relations.parquet",
    log:
        f"{LOGS}/consistency_relations.log",
    conda:
        CONDA_ENV
    params:
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/consistency_relations.py"


rule table_consistency_vs_behaviour:
    """Table A.4b: map agreement vs behaviour agreement over pairs of variants (Mantel)."""
    input:
        pairs=[within_file(m, "pairs_") for m in WITHIN_METHODS],
        variants=[variants_file("test", arch) for arch in ARCHS],
    output:
        **table_outputs(["tableA4b_consistency_vs_behaviour_mantel"]),
        behaviour="results/consistency/behaviour_pairs.parquet",
    log:
        f"{LOGS}/table_consistency_vs_behaviour.log",
    conda:
        CONDA_ENV
    params:
        n_permutations=config["consistency"]["n_permutations"],
        seed=config["seed"],
    script:
        "../scripts/table_consistency_vs_behaviour.py"
