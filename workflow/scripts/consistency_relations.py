"""Table 6 and Table A.4: does within-architecture consistency (map correlation and top-p% IoU)
track human authenticity (Table 6) or the variants' error on the image (Table A.4)?"""

from authxai.consistency import relation_tables, relations_table
from authxai.tables import read_parquets, write_markdown_and_csv, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    relations = relations_table(
        read_parquets(smk.input.within), read_parquets(smk.input.variants), smk.params.n_boot, smk.params.seed
    )
    log.info("consistency relations\n%s", relations.to_string(index=False))
    write_parquet(relations, smk.output.relations, smk.config)
    for name, table in relation_tables(relations).items():
        write_markdown_and_csv(table, smk.output[f"{name}_csv"].removesuffix(".csv"))


run_script(main, snakemake)  # noqa: F821
