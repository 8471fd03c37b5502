"""Each test-regime map of one method against its own variant's counterfactual truth."""

from pathlib import Path

from authxai.consistency import read_maps
from authxai.counterfactual import agreement_per_map, view_regions
from authxai.tables import read_parquet, read_parquets, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    maps = read_maps(smk.input.maps, smk.params.images)
    images = read_parquet(smk.input.images).set_index("image_id")
    regions = {
        (arch, image): view_regions(
            Path(smk.params.root) / images.loc[image, "cue_mask_path"], **smk.params.preprocess[arch]
        )
        for arch, image in maps[["arch", "image_id"]].drop_duplicates().itertuples(index=False)
    }
    per_map = agreement_per_map(maps, read_parquets(smk.input.counterfactual), regions).assign(method=smk.params.method)
    log.info(
        "%s: %d maps, mean counterfactual rank r per architecture (NaN: undefined, e.g. no cue):\n%s",
        smk.params.method,
        len(per_map),
        per_map.groupby("arch")["cf_agreement"].mean().to_string(),
    )
    write_parquet(per_map, smk.output[0], smk.config)


run_script(main, snakemake)  # noqa: F821
