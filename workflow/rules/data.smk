rule synthesize_study:
    output:
        images=f"{SYNTHETIC_ROOT}/images.csv",
        ratings=f"{SYNTHETIC_ROOT}/ratings.csv",
        combos=SYNTHETIC_COMBOS,
        pixels=directory(f"{SYNTHETIC_ROOT}/images"),
        masks=directory(f"{SYNTHETIC_ROOT}/masks"),
    log:
        f"{LOGS}/synthesize_study.log",
    conda:
        CONDA_ENV
    params:
        settings=config["synthetic"],
    script:
        "../scripts/synthesize_study.py"


rule prepare_metadata:
    input:
        dataset_inputs,
    output:
        images=METADATA,
        ratings="results/data/ratings.parquet",
    log:
        f"{LOGS}/prepare_metadata.log",
    conda:
        CONDA_ENV
    params:
        dataset=config["dataset"],
    script:
        "../scripts/prepare_metadata.py"


rule prepare_data:
    input:
        metadata=rules.prepare_metadata.output.images,
        pixels=image_inputs,
        files=image_files,
    output:
        images=IMAGE_TABLE,
    log:
        f"{LOGS}/prepare_data.log",
    conda:
        CONDA_ENV
    params:
        root=config["dataset"]["root"],
    script:
        "../scripts/prepare_data.py"
