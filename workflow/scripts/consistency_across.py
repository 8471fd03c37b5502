"""Across-architecture consistency of one method: per image and pair of architectures, the
agreement of their prototypes (mean map over the configured variants); the prototypes for
Figure 4."""

import numpy as np

from authxai.consistency import across_consistency, prototypes, read_maps
from authxai.tables import write_parquet
from authxai.workflow import log, run_script


def main(smk):
    maps = read_maps(smk.input.maps, smk.params.images)
    maps = maps[maps["seed"].isin(smk.params.seeds)]
    label = {"method": smk.params.method, "prototypes": smk.params.prototypes}
    across = across_consistency(maps)
    summary = across.groupby(["arch_a", "arch_b"])["pearson"].agg(["mean", "min", "max"])
    log.info(
        "%s prototype (%s) correlation over %d images\n%s",
        smk.params.method,
        smk.params.prototypes,
        across["image_id"].nunique(),
        summary,
    )
    write_parquet(across.assign(**label), smk.output.across, smk.config)
    protos = prototypes(maps)
    protos = protos.assign(
        height=[m.shape[0] for m in protos["map"]],
        width=[m.shape[1] for m in protos["map"]],
        map=[np.asarray(m, np.float32).ravel() for m in protos["map"]],
        **label,
    )
    write_parquet(protos, smk.output.prototypes, smk.config)


run_script(main, snakemake)  # noqa: F821
