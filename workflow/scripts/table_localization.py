"""Table 8: localization of each method's maps against the planted cues, with bootstrap CIs."""

import pandas as pd

from authxai.localization import localization_summary, localization_table
from authxai.tables import read_parquet, write_markdown_and_csv, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    per_map = pd.concat([read_parquet(p) for p in smk.input], ignore_index=True)
    summary = localization_summary(
        per_map, ["method", "regime", "arch", "kind"], n_boot=smk.params.n_boot, seed=smk.params.seed
    )
    table = localization_table(summary)
    log.info("table8_localization\n%s", table.iloc[:, :9].to_string(index=False))
    write_parquet(summary, smk.output.summary, smk.config)
    write_markdown_and_csv(table, smk.output["table8_localization_csv"].removesuffix(".csv"))


run_script(main, snakemake)  # noqa: F821
