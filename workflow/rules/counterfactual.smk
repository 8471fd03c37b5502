rule counterfactual:
    """Every Experiment 2 variant's prediction of the explained images with and without each
    planted artifact, rendered in memory (embedded study)."""
    input:
        images=rules.prepare_data.output.images,
        pixels=image_inputs,
        weights=weights_input,
        heads=lambda wc: head_files(REGIME_EXPERIMENT["test"], wc.arch),
        pruning=lambda wc: pruning_files("test", wc.arch, SEEDS),
    output:
        counterfactual_file(),
    log:
        f"{LOGS}/counterfactual/{{arch}}.log",
    benchmark:
        benchmark_file("counterfactual", "{arch}")
    priority: PRIORITY["counterfactual"]
    conda:
        CONDA_ENV
    threads: TORCH_THREADS["attribution"]
    # A few forward passes per image of the embedded study: a CPU job (no GPU partition needed).
    resources:
        **job_resources(mem_mb=4000, runtime=30),
    params:
        **backbone_params("attribution"),
        settings=config["synthetic"],
        images={
            "test": EXPLAINED_TEST_IMAGES.get("test", []),
            "training": EXPLAINED_TRAINING_IMAGES,
        },
    script:
        "../scripts/counterfactual.py"


rule counterfactual_agreement:
    """Each test-regime map of one method against its own variant's counterfactual truth."""
    input:
        maps=lambda wc: method_maps(wc.method, "test", EXPLAINED_TEST_IMAGES["test"]),
        counterfactual=[counterfactual_file(arch) for arch in ARCHS],
        images=rules.prepare_data.output.images,
        masks=image_inputs,
    output:
        cf_agreement_file(),
    log:
        f"{LOGS}/counterfactual_agreement/{{method}}.log",
    conda:
        CONDA_ENV
    params:
        method=lambda wc: wc.method,
        root=config["dataset"]["root"],
        preprocess={arch: preprocess(arch) for arch in ARCHS},
        images=EXPLAINED_TEST_IMAGES.get("test", []),
    script:
        "../scripts/counterfactual_agreement.py"


rule table_counterfactual:
    """Table 10: do the heads use the planted cues? The share of the predictions' variance
    they account for, with bootstrap 95% CIs over images."""
    input:
        [counterfactual_file(arch) for arch in ARCHS],
    output:
        **table_outputs(["table10_counterfactual"]),
        summary=CF_VARIANCE,
    log:
        f"{LOGS}/table_counterfactual.log",
    conda:
        CONDA_ENV
    params:
        n_boot=config["uncertainty"]["n_boot"],
        seed=config["seed"],
    script:
        "../scripts/table_counterfactual.py"
