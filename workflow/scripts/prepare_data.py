"""Open every image of the image table (and cue mask) -> results/data/images.parquet."""

from authxai.data.adapters import IMAGES, verify_images
from authxai.tables import read_parquet, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    images = verify_images(read_parquet(smk.input.metadata, IMAGES), smk.params.root)
    log.info("verified %d images under %s", len(images), smk.params.root)
    write_parquet(images, smk.output.images, smk.config)


run_script(main, snakemake)  # noqa: F821
