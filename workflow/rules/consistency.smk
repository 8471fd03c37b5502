rule predict_variants:
    """Predictions and penultimate embeddings of every pruned variant, from the cache."""
    input:
        features="results/features/{arch}.safetensors",
        heads=regime_heads(),
        pruning=pruning_files("{regime}", "{arch}", SEEDS),
        splits="results/splits/splits.parquet",
        images="results/data/metadata.parquet",
        weights=weights_input,
    output:
        "results/variants/{regime}/{arch}.parquet",
    log:
        f"{LOGS}/predict_variants/{{regime}}_{{arch}}.log",
    conda:
        "../../envs/authxai.yaml"
    params:
        weights=backbone_weights,
    script:
        "../scripts/predict_variants.py"


rule consistency_within:
    input:
        maps=lambda wc: method_maps(wc.method, "test", ATTRIBUTE["test"]),
        variants=expand("results/variants/test/{arch}.parquet", arch=ARCHS),
    output:
        per_image="results/consistency/within_{method}.parquet",
        pairs="results/consistency/within_pairs_{method}.parquet",
        summary="results/consistency/within_{method}_summary.parquet",
    log:
        f"{LOGS}/consistency_within/{{method}}.log",
    wildcard_constraints:
        method="|".join(METHODS),
    conda:
        "../../envs/authxai.yaml"
    params:
        method=lambda wc: wc.method,
        explain=EXPLAIN.get("test", []),
    script:
        "../scripts/consistency_within.py"


rule table_consistency:
    """Tables 4, 5 (and 5b: MPM, beyond the paper) from the per-method summaries."""
    input:
        per_image=expand(
            "results/consistency/within_{method}.parquet", method=WITHIN_METHODS
        ),
        summaries=expand(
            "results/consistency/within_{method}_summary.parquet",
            method=WITHIN_METHODS,
        ),
    output:
        **table_outputs([WITHIN_TABLES[m] for m in WITHIN_METHODS]),
    log:
        f"{LOGS}/table_consistency.log",
    conda:
        "../../envs/authxai.yaml"
    params:
        tables=[WITHIN_TABLES[m] for m in WITHIN_METHODS],
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/table_consistency.py"


rule consistency_across:
    """Prototypes of the configured variants (consistency.prototype_seeds)."""
    input:
        maps=lambda wc: method_maps(wc.method, "test", EXPLAIN["test"]),
    output:
        across="results/consistency/across_{method}.parquet",
        prototypes="results/consistency/prototypes_{method}.parquet",
    log:
        f"{LOGS}/consistency_across/{{method}}.log",
    wildcard_constraints:
        method="|".join(METHODS),
    conda:
        "../../envs/authxai.yaml"
    params:
        method=lambda wc: wc.method,
        seeds=lambda wc: prototype_seeds(wc.method),
        prototypes=lambda wc: prototype_label(prototype_seeds(wc.method), SEEDS),
    script:
        "../scripts/consistency_across.py"


rule consistency_across_allvariants:
    """The labelled extra where prototypes average a subset: prototypes of every variant."""
    input:
        maps=lambda wc: method_maps(wc.method, "test", EXPLAIN["test"]),
    output:
        across="results/consistency/across_{method}_allvariants.parquet",
        prototypes="results/consistency/prototypes_{method}_allvariants.parquet",
    log:
        f"{LOGS}/consistency_across/{{method}}_allvariants.log",
    wildcard_constraints:
        method="|".join(METHODS),
    conda:
        "../../envs/authxai.yaml"
    params:
        method=lambda wc: wc.method,
        seeds=lambda wc: method_seeds(wc.method),
        prototypes=lambda wc: prototype_label(method_seeds(wc.method), SEEDS),
    script:
        "../scripts/consistency_across.py"


rule table_across_prototypes:
    """Across-architecture agreement per pair of architectures, per kind of prototype."""
    input:
        across=expand(
            "results/consistency/across_{method}.parquet", method=ACROSS_METHODS
        )
        + expand(
            "results/consistency/across_{method}_allvariants.parquet",
            method=ALLVARIANT_METHODS,
        ),
    output:
        **table_outputs(["tableA_across_prototypes"]),
    log:
        f"{LOGS}/table_across_prototypes.log",
    conda:
        "../../envs/authxai.yaml"
    params:
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/table_across_prototypes.py"


rule consistency_relations:
    input:
        within=expand(
            "results/consistency/within_{method}.parquet", method=WITHIN_METHODS
        ),
        variants=expand("results/variants/test/{arch}.parquet", arch=ARCHS),
    output:
        **table_outputs(["table6_consistency_relations"]),
        relations="results/consistency/relations.parquet",
    log:
        f"{LOGS}/consistency_relations.log",
    conda:
        "../../envs/authxai.yaml"
    params:
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/consistency_relations.py"


rule table_consistency_vs_behaviour:
    """Table A.4: map agreement vs behaviour agreement over pairs of variants."""
    input:
        pairs=expand(
            "results/consistency/within_pairs_{method}.parquet", method=WITHIN_METHODS
        ),
        variants=expand("results/variants/test/{arch}.parquet", arch=ARCHS),
    output:
        **table_outputs(["tableA4_consistency_vs_behaviour"]),
        behaviour="results/consistency/behaviour_pairs.parquet",
    log:
        f"{LOGS}/table_consistency_vs_behaviour.log",
    conda:
        "../../envs/authxai.yaml"
    params:
        n_permutations=config["consistency"]["n_permutations"],
        seed=config["seed"],
    script:
        "../scripts/table_consistency_vs_behaviour.py"
