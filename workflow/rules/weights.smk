"""Fetching the backbones' weight files (on a node with internet; jobs never download)."""


# It needs the internet, which cluster nodes often lack: it runs where snakemake runs.
localrules:
    download_weights,


rule download_weights:
    output:
        paths.WEIGHTS_RECORD,
    log:
        f"{paths.LOGS}/download_weights.log",
    conda:
        CONDA_ENV
    params:
        archs=config["models"]["archs"],
        weights=config["models"]["weights"],
        mirror=config["models"]["weights_mirror"],
    script:
        "../scripts/download_weights.py"
