"""Table 7b (§5.4): per global test image and ensemble, agreement of its LIME and MPM maps."""

from authxai.consistency import agreement_table, method_agreement
from authxai.tables import read_parquets, write_markdown_and_csv, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    per_image = method_agreement(read_parquets(smk.input.lime), read_parquets(smk.input.mpm))
    table = agreement_table(per_image, ["kind"], smk.params.n_boot, smk.params.seed)
    log.info("ensemble LIME vs MPM over %d images\n%s", per_image["image_id"].nunique(), table.to_string(index=False))
    write_parquet(per_image, smk.output.per_image, smk.config)
    write_markdown_and_csv(table, smk.output.table7b_ensemble_lime_vs_mpm_csv.removesuffix(".csv"))


run_script(main, snakemake)  # noqa: F821
