"""Explain one image with one method for the chosen (pruned) variants of one architecture:
one table, one row per variant (seed)."""

from pathlib import Path

import pandas as pd

from authxai.attribution.pipeline import explain_variants
from authxai.attribution.variants import ExplainedVariants, load_variants
from authxai.errors import require_finite
from authxai.models.backbones import pick_device
from authxai.models.features import load_image
from authxai.tables import read_parquet, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    wc, device = smk.wildcards, pick_device(smk.params.device)
    row = read_parquet(smk.input.images).set_index("image_id").loc[wc.image]
    image = load_image(Path(smk.params.root) / row["path"], **smk.params.preprocess).to(device)
    variants, records = load_variants(
        wc.arch, smk.input.heads, smk.input.pruning, device, smk.params.weights, smk.params.precision
    )
    who = ExplainedVariants(wc.arch, wc.regime, wc.image, tuple(rec["seed"] for rec in records))
    rows = explain_variants(smk.params.method, variants, image, smk.params.settings, who)
    for row, rec in zip(rows, records):
        require_finite(
            row["map"], f"{smk.params.method} map of {wc.arch} seed {rec['seed']} ({wc.regime}) on {wc.image}"
        )
    log.info("%s %s %s %s: %d variants on %s", smk.params.method, wc.regime, wc.arch, wc.image, len(rows), device)
    meta = {"method": smk.params.method, "arch": wc.arch, "regime": wc.regime, "image_id": wc.image}
    table = pd.DataFrame([{**row, "seed": rec["seed"], **meta} for row, rec in zip(rows, records)])
    write_parquet(table, smk.output[0], smk.config)


run_script(main, snakemake)  # noqa: F821
