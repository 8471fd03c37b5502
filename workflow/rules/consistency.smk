rule predict_variants:
    """Predictions and penultimate embeddings of every pruned variant, from the cache."""
    input:
        features="results/features/{arch}.safetensors",
        heads=regime_heads(),
        pruning=pruning_files("{regime}", "{arch}", SEEDS),
        splits="results/splits/splits.parquet",
        images="results/data/metadata.parquet",
    output:
        "results/variants/{regime}/{arch}.parquet",
    log:
        f"{LOGS}/predict_variants/{{regime}}_{{arch}}.log",
    conda:
        "../../envs/authxai.yaml"
    script:
        "../scripts/predict_variants.py"


rule consistency_within:
    input:
        maps=lambda wc: method_maps(wc.method, "test", ATTRIBUTE["test"]),
        variants=expand("results/variants/test/{arch}.parquet", arch=ARCHS),
    output:
        per_image="results/consistency/within_{method}.parquet",
        summary="results/consistency/within_{method}_summary.parquet",
    log:
        f"{LOGS}/consistency_within/{{method}}.log",
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
    input:
        maps=lambda wc: method_maps(wc.method, "test", EXPLAIN["test"]),
    output:
        across="results/consistency/across_{method}.parquet",
        prototypes="results/consistency/prototypes_{method}.parquet",
    log:
        f"{LOGS}/consistency_across/{{method}}.log",
    conda:
        "../../envs/authxai.yaml"
    params:
        method=lambda wc: wc.method,
    script:
        "../scripts/consistency_across.py"


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
