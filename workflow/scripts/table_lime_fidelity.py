"""Table A.2 (fidelity R² of LIME's surrogate fits per regime and architecture) and Table 7c
(§5.4: of the ensembles' LIME surrogates, per ensemble): one script, grouped by ``params.by``."""

from authxai.evaluation import lime_fidelity_table
from authxai.tables import read_parquets, write_markdown_and_csv
from authxai.workflow import log, run_script


def main(smk):
    by = list(smk.params.by)
    lime = read_parquets(smk.input.lime, columns=[*by, "image_id", "r2"])
    table = lime_fidelity_table(lime, smk.params.n_boot, smk.params.seed, by=tuple(by))
    log.info("LIME fidelity R² over %d fits\n%s", len(lime), table.to_string(index=False))
    write_markdown_and_csv(table, smk.output[f"{smk.params.table}_csv"].removesuffix(".csv"))


run_script(main, snakemake)  # noqa: F821
