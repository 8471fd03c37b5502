rule explorer:
    """The explorer page: every map of the run (variants, prototypes, ensembles) over its
    image, with the image's numbers; static files that work offline (authxai.explorer).
    """
    input:
        unpack(explorer_inputs),
        images=IMAGE_TABLE,
        pixels=image_inputs(),
    output:
        index="results/explorer/index.html",
        script="results/explorer/explorer.js",
        style="results/explorer/explorer.css",
        data=directory("results/explorer/data"),
    log:
        f"{LOGS}/explorer.log",
    conda:
        CONDA_ENV
    resources:
        **job_resources(mem_mb=8000, runtime=120),
    params:
        roles=EXPLORER_ROLES,
        maps=EXPLORER_MAPS,
        view={
            "root": config["dataset"]["root"],
            "preprocess": {arch: preprocess(arch) for arch in ARCHS},
        },
        max_map_size=config["explorer"]["max_map_size"],
    script:
        "../scripts/explorer.py"
