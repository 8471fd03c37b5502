"""Deletion/insertion curves of each variant's own map on its own output, for one method and
architecture on the explanation images."""

from pathlib import Path

import pandas as pd

from authxai.attribution.maps import map_array, read_attributions
from authxai.attribution.variants import load_variants
from authxai.errors import require_finite
from authxai.faithfulness import CURVES, faithfulness_gap, variant_faithfulness
from authxai.models.backbones import pick_device
from authxai.models.features import load_image
from authxai.progress import Progress
from authxai.tables import read_parquet, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    wc, device, cfg = smk.wildcards, pick_device(smk.params.device), smk.params.settings
    images = read_parquet(smk.input.images).set_index("image_id")
    variants, records = load_variants(wc.arch, smk.input.heads, smk.input.pruning, device, smk.params.weights)
    seeds = [rec["seed"] for rec in records]
    rows = []
    tables = read_attributions(smk.input.maps, smk.params.images)
    progress = Progress(f"{wc.method} {wc.arch} faithfulness: images", len(smk.params.images))
    for image_id in smk.params.images:
        table = tables[tables["image_id"] == image_id].set_index("seed").loc[seeds]
        image = load_image(Path(smk.params.root) / images.loc[image_id, "path"], **smk.params.preprocess).to(device)
        maps = [map_array(r) for _, r in table.iterrows()]
        curves = variant_faithfulness(variants, image, maps, cfg["steps"], cfg["baseline"], cfg["batch_size"])
        for seed, result in zip(seeds, curves):
            require_finite([result[k] for k in CURVES], f"{wc.method} faithfulness curves of {wc.arch} seed {seed}")
            row = {"method": wc.method, "arch": wc.arch, "image_id": image_id, "seed": seed}
            row.update({k: (v.tolist() if k in CURVES else v) for k, v in result.items()})
            rows.append({**row, "gap": faithfulness_gap(row)})
        log.info(
            "%s %s %s: %d variants, mean MoRF-LeRF gap %.3f",
            wc.method,
            wc.arch,
            image_id,
            len(maps),
            pd.DataFrame(rows[-len(maps) :])["gap"].mean(),
        )
        progress.advance()
    progress.close()
    write_parquet(pd.DataFrame(rows), smk.output[0], smk.config)


run_script(main, snakemake)  # noqa: F821
