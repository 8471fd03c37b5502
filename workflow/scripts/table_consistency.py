"""Tables 4 (Grad-CAM), 5 (LIME) and 5b (MPM): within-architecture consistency."""

from authxai.consistency import within_table
from authxai.tables import read_parquet, write_markdown_and_csv
from authxai.workflow import log, run_script


def main(smk):
    for name, per_image_path, summary_path in zip(smk.params.tables, smk.input.per_image, smk.input.summaries):
        per_image = read_parquet(per_image_path)
        table = within_table(
            per_image[per_image["subset"] == "test"],
            read_parquet(summary_path).drop(columns="method"),
            smk.params.n_boot,
            smk.params.seed,
        )
        log.info("%s\n%s", name, table.to_string(index=False))
        write_markdown_and_csv(table, smk.output[f"{name}_csv"].removesuffix(".csv"))


run_script(main, snakemake)  # noqa: F821
