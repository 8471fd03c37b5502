"""Draw one registered figure (authxai.figures.FIGURES) as PDF and PNG."""

from authxai.figures import figure_function
from authxai.figures.common import save_figure
from authxai.workflow import run_script


def main(smk):
    fig = figure_function(smk.wildcards.figure)(dict(smk.input.items()))
    save_figure(fig, [smk.output.pdf, smk.output.png], smk.config)


run_script(main, snakemake)  # noqa: F821
