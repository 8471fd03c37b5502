"""Backbone weights from their official URLs -> torch hub cache / models.weights; record under results/."""

import json

from authxai.models.backbones.download import download_weights
from authxai.tables import atomic_write, provenance
from authxai.workflow import log, run_script


def main(smk):
    records = download_weights(list(smk.params.archs), dict(smk.params.weights), smk.params.mirror, log)
    with atomic_write(smk.output[0]) as tmp:
        record = {"downloads": [r.as_dict() for r in records], "provenance": provenance(smk.config)}
        tmp.write_text(json.dumps(record, indent=2, default=str) + "\n")


run_script(main, snakemake)  # noqa: F821
