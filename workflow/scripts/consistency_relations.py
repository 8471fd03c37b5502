"""Table 6: does within-architecture consistency track human authenticity or model error?"""

import pandas as pd

from authxai.consistency import relations_table
from authxai.tables import read_parquet, write_markdown_and_csv, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    per_image = pd.concat([read_parquet(p) for p in smk.input.within], ignore_index=True)
    variants = pd.concat([read_parquet(p) for p in smk.input.variants], ignore_index=True)
    table = relations_table(per_image, variants, smk.params.n_boot, smk.params.seed)
    log.info("consistency relations\n%s", table.to_string(index=False))
    write_parquet(table, smk.output.relations, smk.config)
    write_markdown_and_csv(table, smk.output.table6_consistency_relations_csv.removesuffix(".csv"))


run_script(main, snakemake)  # noqa: F821
