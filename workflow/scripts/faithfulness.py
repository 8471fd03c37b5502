"""Deletion/insertion curves of each variant's own map on its own output, for every method on
one architecture's explanation images (one model load for all methods)."""

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
    arch, device, cfg = smk.wildcards.arch, pick_device(smk.params.device), smk.params.settings
    images = read_parquet(smk.input.images).set_index("image_id")
    variants, records = load_variants(arch, smk.input.heads, smk.input.pruning, device, smk.params.weights)
    loaded = [rec["seed"] for rec in records]
    tables = read_attributions(smk.input.maps, smk.params.images, ["method", "seed", "height", "width", "map"])
    pixels = {
        i: load_image(Path(smk.params.root) / images.loc[i, "path"], **smk.params.preprocess).to(device)
        for i in smk.params.images
    }
    rows = []
    for method, seeds in smk.params.seeds.items():
        mine = variants.select([loaded.index(s) for s in seeds])
        progress = Progress(f"{method} {arch} faithfulness: images", len(pixels))
        for image_id, image in pixels.items():
            table = tables[(tables["method"] == method) & (tables["image_id"] == image_id)].set_index("seed").loc[seeds]
            maps = [map_array(r) for _, r in table.iterrows()]
            curves = variant_faithfulness(mine, image, maps, cfg["steps"], cfg["baseline"], cfg["batch_size"])
            for seed, result in zip(seeds, curves):
                require_finite([result[k] for k in CURVES], f"{method} faithfulness curves of {arch} seed {seed}")
                row = {"method": method, "arch": arch, "image_id": image_id, "seed": seed}
                row.update({k: (v.tolist() if k in CURVES else v) for k, v in result.items()})
                rows.append({**row, "gap": faithfulness_gap(row)})
            log.info(
                "%s %s %s: %d variants, mean MoRF-LeRF gap %.3f",
                method,
                arch,
                image_id,
                len(maps),
                pd.DataFrame(rows[-len(maps) :])["gap"].mean(),
            )
            progress.advance()
        progress.close()
    write_parquet(pd.DataFrame(rows), smk.output[0], smk.config)


run_script(main, snakemake)  # noqa: F821
