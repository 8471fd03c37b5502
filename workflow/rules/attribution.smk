rule prune:
    """SBS pruning of every seed's head of one (regime, arch), on cached features."""
    input:
        features=rules.extract_features.output.features,
        heads=regime_heads(),
        splits=rules.make_splits.output.splits,
        images=rules.prepare_metadata.output.images,
        weights=weights_input,
    output:
        pruning_files("{regime}", "{arch}", SEEDS),
    log:
        f"{LOGS}/prune/{{regime}}_{{arch}}.log",
    benchmark:
        benchmark_file("prune", "{regime}_{arch}")
    priority: PRIORITY["models"]
    conda:
        CONDA_ENV
    threads: TORCH_THREADS["pruning"]
    resources:
        **job_resources(mem_mb=8000, runtime=120),
    params:
        seeds=SEEDS,
        torch_threads=TORCH_THREADS["pruning"],
        max_steps=config["pruning"]["max_steps"],
        weights=backbone_weights,
    script:
        "../scripts/prune.py"


# One rule per attribution method (authxai.attribution.methods.METHODS), so `--forcerun mpm`
# reruns just MPM; one job per (regime, arch, chunk of attribution.images_per_job images)
# loads the chosen variants once, explains every seed of each image through one shared trunk
# pass and writes one table with a row per image and seed.
for _method in METHODS:

    rule:
        name:
            _method
        input:
            images=rules.prepare_data.output.images,
            pixels=image_inputs,
            weights=weights_input,
            heads=regime_heads(_method),
            pruning=regime_pruning(_method),
        output:
            attribution_file(_method),
        log:
            f"{LOGS}/{_method}/{{regime}}_{{arch}}_{{chunk}}.log",
        benchmark:
            benchmark_file(_method, "{regime}_{arch}_{chunk}")
        priority: attribution_priority(_method)
        conda:
            CONDA_ENV
        threads: TORCH_THREADS["attribution"]
        resources:
            **job_resources(
                mem_mb=METHOD_REGISTRY[_method].resources["mem_mb"],
                runtime=chunk_runtime(METHOD_REGISTRY[_method].resources["runtime"]),
                gpu=GPU,
            ),
        params:
            **backbone_params("attribution"),
            method=_method,
            images=lambda wc: ATTRIBUTION_CHUNKS[wc.regime][wc.chunk],
            settings=config["attribution"][_method],
            precision=METHOD_REGISTRY[_method].precision(
                config["attribution"]["precision"]
            ),
        script:
            "../scripts/attribute.py"
