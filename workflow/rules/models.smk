rule make_splits:
    input:
        images="results/data/metadata.parquet",
    output:
        splits="results/splits/splits.parquet",
    log:
        f"{LOGS}/make_splits.log",
    conda:
        "../../envs/authxai.yaml"
    params:
        seeds=SEEDS,
        n_bins=config["splits"]["n_bins"],
        seed=config["seed"],
    script:
        "../scripts/make_splits.py"


rule extract_features:
    input:
        images="results/data/images.parquet",
        pixels=image_inputs,
        weights=weights_input,
    output:
        features="results/features/{arch}.safetensors",
    log:
        f"{LOGS}/extract_features/{{arch}}.log",
    conda:
        "../../envs/authxai.yaml"
    threads: TORCH_THREADS["features"]
    params:
        **BACKBONE_PARAMS,
        torch_threads=TORCH_THREADS["features"],
        batch_size=config["models"]["batch_size"],
    script:
        "../scripts/extract_features.py"


rule train_head:
    """All seeds of one architecture in one job: each head trains in seconds from the cache,
    so per-seed jobs would spend most of their time starting Python and reading the cache.
    """
    input:
        features="results/features/{arch}.safetensors",
        splits="results/splits/splits.parquet",
        images="results/data/metadata.parquet",
    output:
        heads=expand(
            "results/models/{{experiment}}/{{arch}}/seed{seed}/head.safetensors",
            seed=SEEDS,
        ),
        histories=expand(
            "results/models/{{experiment}}/{{arch}}/seed{seed}/history.parquet",
            seed=SEEDS,
        ),
    log:
        f"{LOGS}/train_head/{{experiment}}_{{arch}}.log",
    conda:
        "../../envs/authxai.yaml"
    threads: TORCH_THREADS["heads"]
    params:
        seeds=SEEDS,
        training=config["training"],
        torch_threads=TORCH_THREADS["heads"],
    script:
        "../scripts/train_head.py"


rule evaluate:
    input:
        heads=lambda wc: head_files("exp12", wc.arch),
        features="results/features/{arch}.safetensors",
        splits="results/splits/splits.parquet",
        images="results/data/metadata.parquet",
    output:
        predictions="results/predictions/{arch}.parquet",
        metrics="results/evaluation/{arch}.parquet",
    log:
        f"{LOGS}/evaluate/{{arch}}.log",
    conda:
        "../../envs/authxai.yaml"
    params:
        seeds=SEEDS,
    script:
        "../scripts/evaluate.py"


rule table_experiment1:
    input:
        metrics=expand("results/evaluation/{arch}.parquet", arch=ARCHS),
        predictions=expand("results/predictions/{arch}.parquet", arch=ARCHS),
        reliability="results/psychometrics/reliability.parquet",
    output:
        **table_outputs(EXPERIMENT1_TABLES),
    log:
        f"{LOGS}/table_experiment1.log",
    conda:
        "../../envs/authxai.yaml"
    params:
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/table_experiment1.py"
