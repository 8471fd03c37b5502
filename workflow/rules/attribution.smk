rule prune:
    """SBS pruning of every seed's head of one (regime, arch), on cached features."""
    input:
        features=rules.extract_features.output.features,
        heads=PLAN.regime_heads(),
        splits=rules.make_splits.output.splits,
        images=rules.prepare_metadata.output.images,
        weights=PLAN.weights_input,
    output:
        paths.pruning_files("{regime}", "{arch}", PLAN.seeds),
    log:
        f"{paths.LOGS}/prune/{{regime}}_{{arch}}.log",
    benchmark:
        paths.benchmark_file("prune", "{regime}_{arch}")
    priority: PRIORITY["models"]
    conda:
        CONDA_ENV
    threads: PLAN.torch_threads["pruning"]
    resources:
        **job_resources(mem_mb=8000, runtime=120),
    params:
        seeds=PLAN.seeds,
        torch_threads=PLAN.torch_threads["pruning"],
        max_steps=config["pruning"]["max_steps"],
        weights=PLAN.backbone_weights,
    script:
        "../scripts/prune.py"


# One rule per attribution method (authxai.attribution.methods.METHODS), so `--forcerun mpm`
# reruns just MPM; one job per (regime, arch, chunk of attribution.images_per_job images)
# loads the chosen variants once, explains every seed of each image through one shared trunk
# pass and writes one table with a row per image and seed.
for _method in PLAN.methods:

    rule:
        name:
            _method
        input:
            images=rules.prepare_data.output.images,
            pixels=PLAN.image_inputs,
            weights=PLAN.weights_input,
            heads=PLAN.regime_heads(_method),
            pruning=PLAN.regime_pruning(_method),
        output:
            paths.attribution_file(_method),
        log:
            f"{paths.LOGS}/{_method}/{{regime}}_{{arch}}_{{chunk}}.log",
        benchmark:
            paths.benchmark_file(_method, "{regime}_{arch}_{chunk}")
        priority: PLAN.attribution_priority(_method)
        conda:
            CONDA_ENV
        threads: PLAN.torch_threads["attribution"]
        resources:
            **job_resources(
                mem_mb=METHOD_REGISTRY[_method].resources["mem_mb"],
                runtime=PLAN.chunk_runtime(
                    METHOD_REGISTRY[_method].resources["runtime"]
                ),
                gpu=PLAN.gpu,
            ),
        params:
            **PLAN.backbone_params("attribution"),
            method=_method,
            images=PLAN.chunk_images,
            settings=config["attribution"][_method],
            precision=METHOD_REGISTRY[_method].precision(
                config["attribution"]["precision"]
            ),
        script:
            "../scripts/attribute.py"
