"""Within-architecture consistency of one method's maps, per image and pair of variants
(Tables 4–6, A.4) and per image (their mean), and the variants' prediction and RSM similarity
per architecture."""

import pandas as pd

from authxai.consistency import agreement_columns, mean_over_pairs, read_maps, variant_similarity, within_pairs
from authxai.tables import read_parquet, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    explain = set(smk.params.explain)
    pairs = within_pairs(read_maps(smk.input.maps))
    per_image = mean_over_pairs(pairs)
    for table in (pairs, per_image):
        table["method"] = smk.params.method
        table["subset"] = ["test" if i in explain else "train" for i in table["image_id"]]
    variants = pd.concat([read_parquet(p) for p in smk.input.variants], ignore_index=True)
    test_images = sorted(variants.loc[variants["role"] == "test", "image_id"].unique())
    summary = pd.DataFrame(
        [{"arch": arch, **variant_similarity(sub, test_images)} for arch, sub in variants.groupby("arch", sort=False)]
    )
    means = per_image.groupby(["arch", "subset"])[agreement_columns(per_image)].mean()
    log.info("%s within-architecture consistency (means)\n%s\n%s", smk.params.method, means, summary)
    write_parquet(per_image, smk.output.per_image, smk.config)
    write_parquet(pairs, smk.output.pairs, smk.config)
    write_parquet(summary.assign(method=smk.params.method), smk.output.summary, smk.config)


run_script(main, snakemake)  # noqa: F821
