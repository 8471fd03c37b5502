rule predict_variants:
    """Predictions and penultimate embeddings of every pruned variant, from the cache."""
    input:
        features=rules.extract_features.output.features,
        heads=PLAN.regime_heads(),
        pruning=PLAN.regime_pruning(),
        splits=rules.make_splits.output.splits,
        images=rules.prepare_metadata.output.images,
        weights=PLAN.weights_input,
    output:
        paths.variants_file(),
    log:
        f"{paths.LOGS}/predict_variants/{{regime}}_{{arch}}.log",
    priority: PRIORITY["models"]
    conda:
        CONDA_ENV
    params:
        weights=PLAN.backbone_weights,
    script:
        "../scripts/predict_variants.py"


rule consistency_within:
    input:
        maps=lambda wc: PLAN.explained_maps(wc.method, ["test"]),
        variants=[paths.variants_file("test", arch) for arch in PLAN.archs],
    output:
        per_image=paths.within_file(),
        pairs=paths.within_file(kind="pairs_"),
        summary=paths.within_file(kind="_summary"),
    log:
        f"{paths.LOGS}/consistency_within/{{method}}.log",
    conda:
        CONDA_ENV
    resources:
        **job_resources(mem_mb=16000, runtime=30),
    params:
        method=lambda wc: wc.method,
        explain=PLAN.explained_test_images.get("test", []),
    script:
        "../scripts/consistency_within.py"


rule table_consistency:
    """Tables 4, 5 (and 5b: MPM, beyond the paper) from the per-method summaries."""
    input:
        per_image=[paths.within_file(m) for m in PLAN.within_methods],
        summaries=[paths.within_file(m, "_summary") for m in PLAN.within_methods],
    output:
        **table_outputs(PLAN.within_tables.values()),
    log:
        f"{paths.LOGS}/table_consistency.log",
    conda:
        CONDA_ENV
    params:
        tables=list(PLAN.within_tables.values()),
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/table_consistency.py"


rule consistency_across:
    """Prototypes of the configured variants (consistency.prototype_seeds)."""
    input:
        maps=PLAN.test_maps,
    output:
        across=paths.across_file(),
        prototypes=paths.across_file(what="prototypes"),
    log:
        f"{paths.LOGS}/consistency_across/{{method}}.log",
    conda:
        CONDA_ENV
    resources:
        **job_resources(mem_mb=16000, runtime=30),
    params:
        method=lambda wc: wc.method,
        images=PLAN.explained_test_images["test"],
        seeds=lambda wc: PLAN.prototype_seeds(wc.method),
        prototypes=lambda wc: prototype_label(
            PLAN.prototype_seeds(wc.method), PLAN.seeds
        ),
    script:
        "../scripts/consistency_across.py"


rule consistency_across_allvariants:
    """The labelled extra where prototypes average a subset: prototypes of every variant."""
    input:
        maps=PLAN.test_maps,
    output:
        across=paths.across_file("{method}_allvariants"),
        prototypes=paths.across_file("{method}_allvariants", "prototypes"),
    log:
        f"{paths.LOGS}/consistency_across/{{method}}_allvariants.log",
    conda:
        CONDA_ENV
    params:
        method=lambda wc: wc.method,
        images=PLAN.explained_test_images["test"],
        seeds=lambda wc: PLAN.method_seeds(wc.method),
        prototypes=lambda wc: prototype_label(PLAN.method_seeds(wc.method), PLAN.seeds),
    script:
        "../scripts/consistency_across.py"


rule table_across_prototypes:
    """Across-architecture agreement per pair of architectures, per kind of prototype."""
    input:
        across=[paths.across_file(m) for m in PLAN.across_methods]
        + [paths.across_file(f"{m}_allvariants") for m in PLAN.allvariant_methods],
    output:
        **table_outputs(["tableA_across_prototypes"]),
    log:
        f"{paths.LOGS}/table_across_prototypes.log",
    conda:
        CONDA_ENV
    params:
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/table_across_prototypes.py"


rule consistency_relations:
    input:
        within=[paths.within_file(m) for m in PLAN.within_methods],
        variants=[paths.variants_file("test", arch) for arch in PLAN.archs],
    output:
        **table_outputs(["table6_consistency_relations", "tableA4_consistency_vs_mae"]),
        relations=paths.CONSISTENCY_RELATIONS,
    log:
        f"{paths.LOGS}/consistency_relations.log",
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
        pairs=[paths.within_file(m, "pairs_") for m in PLAN.within_methods],
        variants=[paths.variants_file("test", arch) for arch in PLAN.archs],
    output:
        **table_outputs(["tableA4b_consistency_vs_behaviour_mantel"]),
        behaviour=paths.BEHAVIOUR_PAIRS,
    log:
        f"{paths.LOGS}/table_consistency_vs_behaviour.log",
    conda:
        CONDA_ENV
    params:
        n_permutations=config["consistency"]["n_permutations"],
        seed=config["seed"],
    script:
        "../scripts/table_consistency_vs_behaviour.py"
