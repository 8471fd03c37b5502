rule figure:
    input:
        unpack(figure_inputs),
        pixels=figure_pixels,
    output:
        pdf="results/figures/{figure}.pdf",
        png=report(
            "results/figures/{figure}.png",
            caption=str(REPORT_DIR / "figure.rst"),
            category="Figures",
        ),
    log:
        f"{LOGS}/figure_{{figure}}.log",
    conda:
        CONDA_ENV
    params:
        caption=lambda wc: caption(wc.figure),
        view=figure_view,
    script:
        "../scripts/figure.py"
