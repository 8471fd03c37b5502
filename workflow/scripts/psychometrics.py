"""Reliability, MOS summary, kept vs removed, mean vs SD -> results/psychometrics/ + table."""

from pathlib import Path

from authxai.data.adapters import IMAGES, RATINGS_LONG
from authxai.psychometrics import psychometrics_tables, summary_table
from authxai.tables import read_parquet, write_markdown_and_csv, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    images = read_parquet(smk.input.images, IMAGES)
    ratings = read_parquet(smk.input.ratings, RATINGS_LONG)
    if not len(ratings):
        log.info("no raw ratings: reliability and per-participant kept-vs-removed tests are skipped (empty tables)")
    tables = psychometrics_tables(images, ratings, smk.params.n_splits, smk.params.seed, smk.params.subset)
    for name, df in tables.items():
        write_parquet(df, smk.output[name], smk.config)
    summary = summary_table(tables)
    log.info("psychometrics summary\n%s", summary.to_string(index=False))
    write_markdown_and_csv(summary, Path(smk.output.psychometrics_csv).with_suffix(""))


run_script(main, snakemake)  # noqa: F821
