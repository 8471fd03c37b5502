"""Table A.3: per architecture, the regression head's layers and trainable parameters (counted
from the registry's head widths, without building a model)."""

from authxai.evaluation import head_parameter_table
from authxai.tables import write_markdown_and_csv
from authxai.workflow import log, run_script


def main(smk):
    table = head_parameter_table(dict(smk.params.specs), smk.params.dropout)
    log.info("regression heads\n%s", table.to_string(index=False))
    write_markdown_and_csv(table, smk.output.tableA3_head_parameters_csv.removesuffix(".csv"))


run_script(main, snakemake)  # noqa: F821
