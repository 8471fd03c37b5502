rule figure:
    input:
        unpack(PLAN.figure_files),
        pixels=PLAN.figure_pixels,
    output:
        pdf=paths.figure_file(ext="pdf"),
        png=report(
            paths.figure_file(ext="png"),
            caption=report_source(
                REPORT_DIR / "figure.rst", workflow.current_basedir, 2
            ),
            category="Figures",
        ),
    log:
        f"{paths.LOGS}/figure_{{figure}}.log",
    conda:
        CONDA_ENV
    params:
        caption=lambda wc: PLAN.caption_file(wc.figure).read_text(),
        view=PLAN.figure_view,
        inputs=PLAN.figure_inputs,
    script:
        "../scripts/figure.py"
