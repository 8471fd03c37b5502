"""Appendix table: across-architecture agreement of the prototypes per method and pair of
architectures (the configured prototypes and, where they are a subset, all-variant ones)."""

from authxai.consistency import agreement_table
from authxai.tables import read_parquets, write_markdown_and_csv
from authxai.workflow import log, run_script


def main(smk):
    across = read_parquets(smk.input.across)
    table = agreement_table(across, ["method", "prototypes", "arch_a", "arch_b"], smk.params.n_boot, smk.params.seed)
    log.info("across-architecture prototypes\n%s", table.to_string(index=False))
    write_markdown_and_csv(table, smk.output.tableA_across_prototypes_csv.removesuffix(".csv"))


run_script(main, snakemake)  # noqa: F821
