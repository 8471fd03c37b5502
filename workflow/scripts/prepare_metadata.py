"""Dataset adapter -> results/data/metadata.parquet (image table, MOS, kept) + ratings.parquet."""

from authxai.data.adapters import load_metadata
from authxai.tables import write_parquet
from authxai.workflow import log, run_script


def main(smk):
    images, ratings = load_metadata(smk.params.dataset)
    log.info(
        "%d images (%d kept, %d removed), %d raw ratings",
        len(images),
        images["kept"].sum(),
        (~images["kept"]).sum(),
        len(ratings),
    )
    write_parquet(ratings, smk.output.ratings, smk.config)
    write_parquet(images, smk.output.images, smk.config)


run_script(main, snakemake)  # noqa: F821
