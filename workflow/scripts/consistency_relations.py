"""Table 6: does within-architecture consistency (map correlation and top-p% IoU) track human
authenticity or model error?"""

from authxai.consistency import relations_table
from authxai.tables import read_parquets, write_markdown_and_csv, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    table = relations_table(
        read_parquets(smk.input.within), read_parquets(smk.input.variants), smk.params.n_boot, smk.params.seed
    )
    log.info("consistency relations\n%s", table.to_string(index=False))
    write_parquet(table, smk.output.relations, smk.config)
    write_markdown_and_csv(table, smk.output.table6_consistency_relations_csv.removesuffix(".csv"))


run_script(main, snakemake)  # noqa: F821
