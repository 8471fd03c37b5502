"""Table 10: do the heads use the planted cues? The share of the predictions' variance the cues
account for, per architecture and variant, with bootstrap CIs over images."""

from authxai.counterfactual import variance_share_display, variance_share_table
from authxai.tables import read_parquets, write_markdown_and_csv, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    summary = variance_share_table(read_parquets(smk.input), n_boot=smk.params.n_boot, seed=smk.params.seed)
    table = variance_share_display(summary)
    log.info("table10_counterfactual\n%s", table.iloc[:, :6].to_string(index=False))
    write_parquet(summary, smk.output.summary, smk.config)
    write_markdown_and_csv(table, smk.output["table10_counterfactual_csv"].removesuffix(".csv"))


run_script(main, snakemake)  # noqa: F821
