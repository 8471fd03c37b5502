rule prune:
    input:
        features="results/features/{arch}.safetensors",
        heads=regime_heads(),
        splits="results/splits/splits.parquet",
        images="results/data/metadata.parquet",
        weights=weights_input,
    output:
        pruning_files("{regime}", "{arch}", SEEDS),
    log:
        f"{LOGS}/prune/{{regime}}_{{arch}}.log",
    conda:
        "../../envs/authxai.yaml"
    threads: TORCH_THREADS["pruning"]
    params:
        seeds=SEEDS,
        torch_threads=TORCH_THREADS["pruning"],
        max_steps=config["pruning"]["max_steps"],
        weights=backbone_weights,
    script:
        "../scripts/prune.py"


# One rule per attribution method (gradcam, lime, mpm), so `--forcerun mpm` reruns just MPM;
# one job per (regime, arch, image) explains every chosen seed through one shared trunk pass
# and writes one table with a row per seed.
for _method in METHODS:

    rule:
        name:
            _method
        input:
            images="results/data/images.parquet",
            pixels=image_inputs,
            weights=weights_input,
            heads=regime_heads(_method),
            pruning=lambda wc, method=_method: pruning_files(
                wc.regime, wc.arch, method_seeds(method)
            ),
        output:
            attribution_file(_method),
        log:
            f"{LOGS}/{_method}/{{regime}}_{{arch}}_{{image}}.log",
        conda:
            "../../envs/authxai.yaml"
        threads: TORCH_THREADS["attribution"]
        params:
            **BACKBONE_PARAMS,
            torch_threads=TORCH_THREADS["attribution"],
            method=_method,
            settings=config["attribution"][_method],
            # Grad-CAM's gradients always run in fp32: its jobs do not depend on the setting
            precision=(
                "fp32" if _method == "gradcam" else config["attribution"]["precision"]
            ),
        script:
            "../scripts/attribute.py"
