rule sanity:
    """Adebayo et al. sanity checks of every method on one variant of one architecture."""
    input:
        images=rules.prepare_data.output.images,
        pixels=PLAN.image_inputs,
        weights=PLAN.weights_input,
        heads=lambda wc: PLAN.head_files(
            PLAN.regime_experiment["test"], wc.arch, [config["sanity"]["variant"]]
        ),
        pruning=lambda wc: paths.pruning_files(
            "test", wc.arch, [config["sanity"]["variant"]]
        ),
        features=rules.extract_features.output.features,
        splits=rules.make_splits.output.splits,
        metadata=rules.prepare_metadata.output.images,
    output:
        similarity=paths.sanity_file(),
        maps=paths.sanity_file(kind="_maps"),
    log:
        f"{paths.LOGS}/sanity/{{arch}}.log",
    benchmark:
        paths.benchmark_file("sanity", "{arch}")
    priority: PRIORITY["sanity"]
    conda:
        CONDA_ENV
    threads: PLAN.torch_threads["attribution"]
    resources:
        **job_resources(mem_mb=32000, runtime=120, gpu=PLAN.gpu),
    params:
        **PLAN.backbone_params("attribution"),
        methods={m: config["attribution"][m] for m in PLAN.methods},
        precisions={
            m: METHOD_REGISTRY[m].precision(config["attribution"]["precision"])
            for m in PLAN.methods
        },
        sanity=config["sanity"],
        seed=config["seed"],
        experiment=PLAN.regime_experiment.get("test"),
        explain=PLAN.sanity_images,
        training=config["training"],
    script:
        "../scripts/sanity.py"


rule faithfulness:
    """Deletion/insertion curves of each variant's own map, every method, on one architecture
    (Experiment 2 explanation images): one model load for the three methods."""
    input:
        maps=PLAN.faithfulness_maps,
        images=rules.prepare_data.output.images,
        pixels=PLAN.image_inputs,
        weights=PLAN.weights_input,
        heads=lambda wc: PLAN.head_files(
            PLAN.regime_experiment["test"], wc.arch, PLAN.faithfulness_variants
        ),
        pruning=lambda wc: paths.pruning_files(
            "test", wc.arch, PLAN.faithfulness_variants
        ),
    output:
        paths.faithfulness_file(),
    log:
        f"{paths.LOGS}/faithfulness/{{arch}}.log",
    benchmark:
        paths.benchmark_file("faithfulness", "{arch}")
    priority: PRIORITY["faithfulness"]
    conda:
        CONDA_ENV
    threads: PLAN.torch_threads["attribution"]
    resources:
        **job_resources(mem_mb=16000, runtime=60 * len(PLAN.methods), gpu=PLAN.gpu),
    params:
        **PLAN.backbone_params("attribution"),
        settings=config["faithfulness"],
        images=PLAN.faithfulness_images,
        seeds={method: PLAN.faithfulness_seeds(method) for method in PLAN.methods},
    script:
        "../scripts/faithfulness.py"


rule scorecard:
    """Table 9 and the report's scorecard: consistency, localization, sanity, faithfulness."""
    input:
        unpack(PLAN.scorecard_inputs),
    output:
        **table_outputs(["table9_scorecard"]),
        reading=report(
            paths.SCORECARD["reading"],
            caption=report_source(
                PLAN.caption_file("scorecard"), workflow.current_basedir, 2
            ),
            category="Scorecard",
        ),
        markdown=paths.SCORECARD["markdown"],
        across_pairs=paths.SCORECARD["across_pairs"],
        relations=paths.SCORECARD_RELATIONS,
    log:
        f"{paths.LOGS}/scorecard.log",
    conda:
        CONDA_ENV
    params:
        sanity=config["sanity"],
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
        controls=PLAN.control_archs,
    script:
        "../scripts/scorecard.py"
