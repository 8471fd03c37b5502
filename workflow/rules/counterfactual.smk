rule counterfactual:
    """Every Experiment 2 variant's prediction of the explained images with and without each
    planted artifact, rendered in memory (embedded study)."""
    input:
        images=rules.prepare_data.output.images,
        pixels=PLAN.image_inputs,
        weights=PLAN.weights_input,
        heads=lambda wc: PLAN.head_files(PLAN.regime_experiment["test"], wc.arch),
        pruning=lambda wc: paths.pruning_files("test", wc.arch, PLAN.seeds),
    output:
        paths.counterfactual_file(),
    log:
        f"{paths.LOGS}/counterfactual/{{arch}}.log",
    benchmark:
        paths.benchmark_file("counterfactual", "{arch}")
    priority: PRIORITY["counterfactual"]
    conda:
        CONDA_ENV
    threads: PLAN.torch_threads["attribution"]
    # A few forward passes per image of the embedded study: a CPU job (no GPU partition needed).
    resources:
        **job_resources(mem_mb=4000, runtime=30),
    params:
        **PLAN.backbone_params("attribution"),
        settings=config["synthetic"],
        images={
            "test": PLAN.explained_test_images.get("test", []),
            "training": PLAN.explained_training_images,
        },
    script:
        "../scripts/counterfactual.py"


rule counterfactual_agreement:
    """Each test-regime map of one method against its own variant's counterfactual truth."""
    input:
        maps=PLAN.test_maps,
        counterfactual=[paths.counterfactual_file(arch) for arch in PLAN.archs],
        images=rules.prepare_data.output.images,
        masks=PLAN.image_inputs,
    output:
        paths.cf_agreement_file(),
    log:
        f"{paths.LOGS}/counterfactual_agreement/{{method}}.log",
    conda:
        CONDA_ENV
    params:
        method=lambda wc: wc.method,
        root=config["dataset"]["root"],
        preprocess={arch: PLAN.preprocess(arch) for arch in PLAN.archs},
        images=PLAN.explained_test_images.get("test", []),
    script:
        "../scripts/counterfactual_agreement.py"


rule table_counterfactual:
    """Table 10: do the heads use the planted cues? The share of the predictions' variance
    they account for, with bootstrap 95% CIs over images."""
    input:
        [paths.counterfactual_file(arch) for arch in PLAN.archs],
    output:
        **table_outputs(["table10_counterfactual"]),
        summary=paths.CF_VARIANCE,
    log:
        f"{paths.LOGS}/table_counterfactual.log",
    conda:
        CONDA_ENV
    params:
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/table_counterfactual.py"
