rule make_splits:
    input:
        images=rules.prepare_metadata.output.images,
    output:
        splits=SPLITS,
    log:
        f"{LOGS}/make_splits.log",
    conda:
        CONDA_ENV
    params:
        seeds=SEEDS,
        n_bins=config["splits"]["n_bins"],
        seed=config["seed"],
    script:
        "../scripts/make_splits.py"


rule extract_features:
    """One pass of every image through the frozen trunk: the only full-backbone rule."""
    input:
        images=rules.prepare_data.output.images,
        pixels=image_inputs,
        weights=weights_input,
    output:
        features=features_file(),
    log:
        f"{LOGS}/extract_features/{{arch}}.log",
    benchmark:
        benchmark_file("extract_features", "{arch}")
    priority: PRIORITY["models"]
    conda:
        CONDA_ENV
    threads: TORCH_THREADS["features"]
    resources:
        **job_resources(mem_mb=32000, runtime=120, gpu=GPU),
    params:
        **backbone_params("features"),
        batch_size=config["models"]["batch_size"],
    script:
        "../scripts/extract_features.py"


rule train_head:
    """All seeds of one architecture in one job: each head trains in seconds from the cache,
    so per-seed jobs would spend most of their time starting Python and reading the cache.
    """
    input:
        features=rules.extract_features.output.features,
        splits=rules.make_splits.output.splits,
        images=rules.prepare_metadata.output.images,
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
    benchmark:
        benchmark_file("train_head", "{experiment}_{arch}")
    priority: PRIORITY["models"]
    conda:
        CONDA_ENV
    threads: TORCH_THREADS["heads"]
    resources:
        **job_resources(mem_mb=8000, runtime=120),
    params:
        seeds=SEEDS,
        training=config["training"],
        torch_threads=TORCH_THREADS["heads"],
    script:
        "../scripts/train_head.py"


rule evaluate:
    input:
        heads=lambda wc: head_files("exp12", wc.arch),
        features=rules.extract_features.output.features,
        splits=rules.make_splits.output.splits,
        images=rules.prepare_metadata.output.images,
    output:
        predictions="results/predictions/{arch}.parquet",
        metrics="results/evaluation/{arch}.parquet",
    log:
        f"{LOGS}/evaluate/{{arch}}.log",
    conda:
        CONDA_ENV
    params:
        seeds=SEEDS,
    script:
        "../scripts/evaluate.py"


rule table_experiment1:
    input:
        metrics=expand(rules.evaluate.output.metrics, arch=ARCHS),
        predictions=expand(rules.evaluate.output.predictions, arch=ARCHS),
        reliability=rules.psychometrics.output.reliability,
    output:
        **table_outputs(EXPERIMENT1_TABLES),
    log:
        f"{LOGS}/table_experiment1.log",
    conda:
        CONDA_ENV
    params:
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/table_experiment1.py"
