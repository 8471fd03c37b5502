rule explorer:
    """The explorer page: every map of the run (variants, prototypes, ensembles) over its
    image, with the image's numbers; static files that work offline (authxai.explorer).
    """
    input:
        unpack(PLAN.explorer_inputs),
        images=paths.IMAGE_TABLE,
        pixels=PLAN.image_inputs(),
    output:
        index=paths.EXPLORER["index"],
        script=paths.EXPLORER["script"],
        style=paths.EXPLORER["style"],
        data=directory(paths.EXPLORER["data"]),
    log:
        f"{paths.LOGS}/explorer.log",
    conda:
        CONDA_ENV
    resources:
        **job_resources(mem_mb=8000, runtime=120),
    params:
        roles=PLAN.explorer_roles(),
        maps=PLAN.explorer_maps(),
        view=PLAN.view(PLAN.archs),
        max_map_size=config["explorer"]["max_map_size"],
    script:
        "../scripts/explorer.py"
