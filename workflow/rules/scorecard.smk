rule sanity:
    """Adebayo et al. sanity checks of every method on one variant of one architecture."""
    input:
        images=rules.prepare_data.output.images,
        pixels=image_inputs,
        weights=weights_input,
        heads=lambda wc: head_files(
            REGIME_EXPERIMENT["test"], wc.arch, [config["sanity"]["variant"]]
        ),
        pruning=lambda wc: pruning_files("test", wc.arch, [config["sanity"]["variant"]]),
        features=rules.extract_features.output.features,
        splits=rules.make_splits.output.splits,
        metadata=rules.prepare_metadata.output.images,
    output:
        similarity=sanity_file(),
        maps=sanity_file(kind="_maps"),
    log:
        f"{LOGS}/sanity/{{arch}}.log",
    benchmark:
        benchmark_file("sanity", "{arch}")
    priority: PRIORITY["sanity"]
    conda:
        CONDA_ENV
    threads: TORCH_THREADS["attribution"]
    resources:
        **job_resources(mem_mb=32000, runtime=120, gpu=GPU),
    params:
        **backbone_params("attribution"),
        methods={m: config["attribution"][m] for m in METHODS},
        precisions={
            m: METHOD_REGISTRY[m].precision(config["attribution"]["precision"])
            for m in METHODS
        },
        sanity=config["sanity"],
        seed=config["seed"],
        experiment=REGIME_EXPERIMENT.get("test"),
        explain=SANITY_IMAGES,
        training=config["training"],
    script:
        "../scripts/sanity.py"


rule faithfulness:
    """Deletion/insertion curves of each variant's own map, every method, on one architecture
    (Experiment 2 explanation images): one model load for the three methods."""
    input:
        maps=lambda wc: [
            path
            for method in METHODS
            for path in method_maps(method, "test", FAITHFULNESS_IMAGES, [wc.arch])
        ],
        images=rules.prepare_data.output.images,
        pixels=image_inputs,
        weights=weights_input,
        heads=lambda wc: head_files(
            REGIME_EXPERIMENT["test"], wc.arch, FAITHFULNESS_VARIANTS
        ),
        pruning=lambda wc: pruning_files("test", wc.arch, FAITHFULNESS_VARIANTS),
    output:
        faithfulness_file(),
    log:
        f"{LOGS}/faithfulness/{{arch}}.log",
    benchmark:
        benchmark_file("faithfulness", "{arch}")
    priority: PRIORITY["faithfulness"]
    conda:
        CONDA_ENV
    threads: TORCH_THREADS["attribution"]
    resources:
        **job_resources(mem_mb=16000, runtime=60 * len(METHODS), gpu=GPU),
    params:
        **backbone_params("attribution"),
        settings=config["faithfulness"],
        images=FAITHFULNESS_IMAGES,
        seeds={method: faithfulness_seeds(method) for method in METHODS},
    script:
        "../scripts/faithfulness.py"


rule scorecard:
    """Table 9 and the report's scorecard: consistency, localization, sanity, faithfulness."""
    input:
        unpack(scorecard_inputs),
    output:
        **table_outputs(["table9_scorecard"]),
        reading=report(
            "results/scorecard/scorecard.html",
            caption=caption_file("scorecard"),
            category="Scorecard",
        ),
        markdown="results/scorecard/scorecard.md",
        across_pairs="results/scorecard/across_pairs.csv",
        relations=SCORECARD_RELATIONS,
    log:
        f"{LOGS}/scorecard.log",
    conda:
        CONDA_ENV
    params:
        sanity=config["sanity"],
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
        controls=CONTROL_ARCHS,
    script:
        "../scripts/scorecard.py"
