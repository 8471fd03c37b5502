"""Explain the images of one chunk with one method for the chosen (pruned) variants of one
architecture: the variants are loaded once; one table, one row per image and variant (seed)."""

from pathlib import Path

import pandas as pd

from authxai.attribution.pipeline import explain_variants
from authxai.attribution.variants import ExplainedVariants, load_variants
from authxai.errors import require_finite
from authxai.models.backbones import pick_device
from authxai.models.features import load_image
from authxai.progress import Progress
from authxai.tables import read_parquet, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    wc, device, method = smk.wildcards, pick_device(smk.params.device), smk.params.method
    paths = read_parquet(smk.input.images).set_index("image_id")["path"]
    variants, records = load_variants(
        wc.arch, smk.input.heads, smk.input.pruning, device, smk.params.weights, smk.params.precision, label=method
    )
    seeds = tuple(rec["seed"] for rec in records)
    rows, progress = [], Progress(f"{method} {wc.regime} {wc.arch}: images", len(smk.params.images))
    for image_id in smk.params.images:
        image = load_image(Path(smk.params.root) / paths.loc[image_id], **smk.params.preprocess).to(device)
        who = ExplainedVariants(wc.arch, wc.regime, image_id, seeds)
        explained = explain_variants(method, variants, image, smk.params.settings, who)
        meta = {"method": method, "arch": wc.arch, "regime": wc.regime, "image_id": image_id}
        for row, seed in zip(explained, seeds):
            require_finite(row["map"], f"{method} map of {wc.arch} seed {seed} ({wc.regime}) on {image_id}")
            rows.append({**row, "seed": seed, **meta})
        log.info("%s %s %s %s: %d variants on %s", method, wc.regime, wc.arch, image_id, len(seeds), device)
        progress.advance()
    progress.close()
    write_parquet(pd.DataFrame(rows), smk.output[0], smk.config)


run_script(main, snakemake)  # noqa: F821
