rule synthesize_study:
    output:
        images=paths.SYNTHETIC_STUDY["images"],
        ratings=paths.SYNTHETIC_STUDY["ratings"],
        combos=paths.SYNTHETIC_STUDY["combos"],
        pixels=directory(paths.SYNTHETIC_STUDY["pixels"]),
        masks=directory(paths.SYNTHETIC_STUDY["masks"]),
    log:
        f"{paths.LOGS}/synthesize_study.log",
    conda:
        CONDA_ENV
    params:
        settings=config["synthetic"],
    script:
        "../scripts/synthesize_study.py"


rule prepare_metadata:
    input:
        PLAN.dataset_inputs,
    output:
        images=paths.METADATA,
        ratings=paths.RATINGS,
    log:
        f"{paths.LOGS}/prepare_metadata.log",
    conda:
        CONDA_ENV
    params:
        dataset=config["dataset"],
    script:
        "../scripts/prepare_metadata.py"


rule prepare_data:
    input:
        metadata=rules.prepare_metadata.output.images,
        pixels=PLAN.image_inputs,
        files=PLAN.image_files,
    output:
        images=paths.IMAGE_TABLE,
    log:
        f"{paths.LOGS}/prepare_data.log",
    conda:
        CONDA_ENV
    params:
        root=config["dataset"]["root"],
    script:
        "../scripts/prepare_data.py"
