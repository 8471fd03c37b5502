"""Fixed test sets and per-seed train/validation draws -> results/splits/splits.parquet."""

from authxai.data.adapters import IMAGES
from authxai.splits import make_splits
from authxai.tables import read_parquet, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    splits = make_splits(read_parquet(smk.input.images, IMAGES), smk.params.seeds, smk.params.seed, smk.params.n_bins)
    log.info("\n%s", splits.groupby(["experiment", "role"]).size().div(len(smk.params.seeds)).to_string())
    write_parquet(splits, smk.output.splits, smk.config)


run_script(main, snakemake)  # noqa: F821
