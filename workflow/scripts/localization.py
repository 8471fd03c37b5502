"""Score every map of one method (variants, prototypes, ensembles) against the cue masks."""

from pathlib import Path

import pandas as pd

from authxai.attribution.maps import map_array
from authxai.consistency import read_maps
from authxai.localization import cue_mask, localization_per_map, maps_to_score
from authxai.tables import read_parquet, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    variants = read_maps(smk.input.maps)
    ensembles = None
    if smk.input.ensemble:
        rows = pd.concat([read_parquet(p) for p in smk.input.ensemble], ignore_index=True)
        ensembles = pd.DataFrame(
            {"image_id": rows["image_id"], "kind": rows["kind"], "map": [map_array(r) for _, r in rows.iterrows()]}
        )
    maps = maps_to_score(variants, ensembles)
    images = read_parquet(smk.input.images).set_index("image_id")
    masks = {i: cue_mask(Path(smk.params.root) / images.loc[i, "cue_mask_path"]) for i in maps["image_id"].unique()}
    per_map = localization_per_map(maps, masks, smk.params.tolerance).assign(method=smk.params.method)
    means = per_map.groupby(["regime", "arch", "kind"])[["auroc", "energy", "pointing"]].mean()
    log.info(
        "%s: %d maps of %d images with cues\n%s", smk.params.method, len(per_map), per_map["image_id"].nunique(), means
    )
    write_parquet(per_map, smk.output[0], smk.config)


run_script(main, snakemake)  # noqa: F821
