"""Tables 2 (performance, reliability, ceiling) and 3 (beyond quality) over architectures."""

import pandas as pd

from authxai.evaluation import table2, table3
from authxai.tables import read_parquet, write_markdown_and_csv
from authxai.workflow import log, run_script


def main(smk):
    metrics = pd.concat([read_parquet(p) for p in smk.input.metrics], ignore_index=True)
    predictions = pd.concat([read_parquet(p) for p in smk.input.predictions], ignore_index=True)
    reliability = read_parquet(smk.input.reliability)
    auth = reliability[reliability["dimension"] == "authenticity"]
    human = float(auth["spearman_brown"].iloc[0]) if len(auth) else None
    for name, table in (
        ("table2_performance", table2(metrics, predictions, human, smk.params.n_boot, smk.params.seed)),
        ("table3_beyond_quality", table3(metrics)),
    ):
        log.info("%s\n%s", name, table.to_string(index=False))
        write_markdown_and_csv(table, smk.output[f"{name}_csv"].removesuffix(".csv"))


run_script(main, snakemake)  # noqa: F821
