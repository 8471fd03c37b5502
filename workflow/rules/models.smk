rule make_splits:
    input:
        images=rules.prepare_metadata.output.images,
    output:
        splits=paths.SPLITS,
    log:
        f"{paths.LOGS}/make_splits.log",
    conda:
        CONDA_ENV
    params:
        seeds=PLAN.seeds,
        n_bins=config["splits"]["n_bins"],
        seed=config["seed"],
    script:
        "../scripts/make_splits.py"


rule extract_features:
    """One pass of every image through the frozen trunk: the only full-backbone rule."""
    input:
        images=rules.prepare_data.output.images,
        pixels=PLAN.image_inputs,
        weights=PLAN.weights_input,
    output:
        features=paths.features_file(),
    log:
        f"{paths.LOGS}/extract_features/{{arch}}.log",
    benchmark:
        paths.benchmark_file("extract_features", "{arch}")
    priority: PRIORITY["models"]
    conda:
        CONDA_ENV
    threads: PLAN.torch_threads["features"]
    resources:
        **job_resources(mem_mb=32000, runtime=120, gpu=PLAN.gpu),
    params:
        **PLAN.backbone_params("features"),
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
        heads=[paths.head_file(seed=seed) for seed in PLAN.seeds],
        histories=[paths.history_file(seed=seed) for seed in PLAN.seeds],
    log:
        f"{paths.LOGS}/train_head/{{experiment}}_{{arch}}.log",
    benchmark:
        paths.benchmark_file("train_head", "{experiment}_{arch}")
    priority: PRIORITY["models"]
    conda:
        CONDA_ENV
    threads: PLAN.torch_threads["heads"]
    resources:
        **job_resources(mem_mb=8000, runtime=120),
    params:
        seeds=PLAN.seeds,
        training=config["training"],
        torch_threads=PLAN.torch_threads["heads"],
    script:
        "../scripts/train_head.py"


rule evaluate:
    input:
        heads=lambda wc: PLAN.head_files("exp12", wc.arch),
        features=rules.extract_features.output.features,
        splits=rules.make_splits.output.splits,
        images=rules.prepare_metadata.output.images,
    output:
        predictions=paths.predictions_file(),
        metrics=paths.evaluation_file(),
    log:
        f"{paths.LOGS}/evaluate/{{arch}}.log",
    conda:
        CONDA_ENV
    params:
        seeds=PLAN.seeds,
    script:
        "../scripts/evaluate.py"


rule table_experiment1:
    input:
        metrics=expand(rules.evaluate.output.metrics, arch=PLAN.archs),
        predictions=expand(rules.evaluate.output.predictions, arch=PLAN.archs),
        reliability=rules.psychometrics.output.reliability,
    output:
        **table_outputs(EXPERIMENT1_TABLES),
    log:
        f"{paths.LOGS}/table_experiment1.log",
    conda:
        CONDA_ENV
    params:
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/table_experiment1.py"
