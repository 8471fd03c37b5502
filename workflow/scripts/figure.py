"""Draw one registered figure (authxai.figures.FIGURES) as PDF and PNG."""

from authxai.figures import ModelView, draw_figure
from authxai.figures.common import save_figure
from authxai.workflow import run_script


def main(smk):
    # the inputs as the figure declares them (grouped by method, architecture or image); the
    # same files are the rule's named inputs
    view = ModelView.from_params(smk.params.view) if smk.params.view else None
    fig = draw_figure(smk.wildcards.figure, smk.params.inputs, view)
    save_figure(fig, [smk.output.pdf, smk.output.png], smk.config)


run_script(main, snakemake)  # noqa: F821
