"""Render the planted-cue study (authxai.data.synthetic) into results/synthetic/."""

from pathlib import Path

from authxai.data.synthetic import StudySettings, write_study
from authxai.workflow import log, run_script


def main(smk):
    write_study(StudySettings(**smk.params.settings), Path(smk.output.images).parent, log)


run_script(main, snakemake)  # noqa: F821
