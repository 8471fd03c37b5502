"""Within-architecture consistency of one method's maps, per image (Tables 4–6) and the
variants' prediction and RSM similarity per architecture."""

import pandas as pd

from authxai.consistency import read_maps, variant_similarity, within_consistency
from authxai.tables import read_parquet, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    per_image = within_consistency(read_maps(smk.input.maps))
    explain = set(smk.params.explain)
    per_image = per_image.assign(
        method=smk.params.method, subset=["test" if i in explain else "train" for i in per_image["image_id"]]
    )
    variants = pd.concat([read_parquet(p) for p in smk.input.variants], ignore_index=True)
    test_images = sorted(variants.loc[variants["role"] == "test", "image_id"].unique())
    summary = pd.DataFrame(
        [{"arch": arch, **variant_similarity(sub, test_images)} for arch, sub in variants.groupby("arch", sort=False)]
    )
    means = per_image.groupby(["arch", "subset"])[["pearson", "iou5", "iou15", "iou25"]].mean()
    log.info("%s within-architecture consistency (means)\n%s\n%s", smk.params.method, means, summary)
    write_parquet(per_image, smk.output.per_image, smk.config)
    write_parquet(summary.assign(method=smk.params.method), smk.output.summary, smk.config)


run_script(main, snakemake)  # noqa: F821
