"""Table A.4b (Mantel): does the agreement of two variants' maps track the agreement of their behaviour?"""

from authxai.consistency import behaviour_pairs, behaviour_table
from authxai.tables import read_parquets, write_markdown_and_csv, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    map_pairs = read_parquets(smk.input.pairs)
    behaviour = behaviour_pairs(read_parquets(smk.input.variants))
    table = behaviour_table(
        map_pairs[map_pairs["subset"] == "test"], behaviour, smk.params.n_permutations, smk.params.seed
    )
    log.info("map agreement vs behaviour agreement over pairs of variants\n%s", table.to_string(index=False))
    write_parquet(behaviour, smk.output.behaviour, smk.config)
    write_markdown_and_csv(table, smk.output.tableA4b_consistency_vs_behaviour_mantel_csv.removesuffix(".csv"))


run_script(main, snakemake)  # noqa: F821
