"""Within-architecture consistency of one method's maps, per image and pair of variants
(Tables 4–6, A.4) and per image (their mean; LIME's independent estimate, see
:mod:`authxai.consistency_lime`), and the variants' prediction and RSM similarity
per architecture."""

import pandas as pd

from authxai.attribution.methods import get_method
from authxai.consistency import variant_similarity, within_score_columns
from authxai.tables import read_parquet, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    explain = set(smk.params.explain)
    # pairwise agreement of the maps, or the method's own estimate (LIME: authxai.consistency_lime)
    pairs, per_image = get_method(smk.params.method).within_consistency(smk.input.maps)
    for table in (pairs, per_image):
        table["method"] = smk.params.method
        table["subset"] = ["test" if i in explain else "train" for i in table["image_id"]]
    variants = pd.concat([read_parquet(p) for p in smk.input.variants], ignore_index=True)
    test_images = sorted(variants.loc[variants["role"] == "test", "image_id"].unique())
    summary = pd.DataFrame(
        [{"arch": arch, **variant_similarity(sub, test_images)} for arch, sub in variants.groupby("arch", sort=False)]
    )
    means = per_image.groupby(["arch", "subset"])[within_score_columns(per_image)].mean()
    log.info("%s within-architecture consistency (means)\n%s\n%s", smk.params.method, means, summary)
    write_parquet(per_image, smk.output.per_image, smk.config)
    write_parquet(pairs, smk.output.pairs, smk.config)
    write_parquet(summary.assign(method=smk.params.method), smk.output.summary, smk.config)


run_script(main, snakemake)  # noqa: F821
