"""Table 9 and the report's scorecard: consistency, localization (cue AUROC and, in the embedded
study, the counterfactual rank r), sanity checks and faithfulness per method × architecture, with
a paragraph written from the numbers."""

import html

from authxai.sanity import MIN_SANITY_IMAGES, sanity_verdicts
from authxai.scorecard import SCORES, consistency_vs_localization, scorecard_display, scorecard_reading, scorecard_table
from authxai.tables import read_parquet, read_parquets, write_markdown_and_csv, write_text
from authxai.workflow import log, run_script


def main(smk):
    cfg = smk.params.sanity
    similarity = read_parquets(smk.input.sanity)
    deepest = similarity.loc[similarity["stages"].idxmax(), "level"]
    verdicts = sanity_verdicts(similarity, deepest, cfg["threshold"], smk.params.n_boot, smk.params.seed)
    within, localization = read_parquets(smk.input.within), read_parquets(smk.input.get("localization", []))
    card = scorecard_table(
        verdicts,
        read_parquets(smk.input.faithfulness),
        within,
        read_parquets(smk.input.across),
        localization,
        n_boot=smk.params.n_boot,
        seed=smk.params.seed,
        counterfactual=read_parquets(smk.input.get("counterfactual", [])),
    )
    agreement = (
        consistency_vs_localization(within, localization) if within is not None and localization is not None else None
    )
    variance = read_parquet(smk.input.variance) if smk.input.get("variance") else None  # Table 10's numbers
    reading = scorecard_reading(card, agreement, variance)
    table = scorecard_display(card)
    shown = table[["method", "arch", *[s for s in SCORES if s in table], "sanity"]]
    log.info("Table 9\n%s\n\n%s", shown.to_string(index=False), reading)
    write_markdown_and_csv(table, smk.output.table9_scorecard_csv.removesuffix(".csv"))
    note = (
        f"Sanity: model test at level `{deepest}`, data test with permuted ratings; pass = the 95% bootstrap CI "
        f"over images of the mean Spearman r(|original|, |randomized|) below {cfg['threshold']}, fail = above, "
        f"else inconclusive; under {MIN_SANITY_IMAGES} images no verdict (n too small). "
        "Cells: mean [95% bootstrap CI over images]."
    )
    write_text(smk.output.markdown, f"# Scorecard\n\n{reading}\n\n{shown.to_markdown(index=False)}\n\n{note}\n")
    write_text(
        smk.output.reading,
        f"<h2>Scorecard</h2>\n<p>{html.escape(reading)}</p>\n{shown.to_html(index=False, border=0)}\n"
        f"<p><small>{html.escape(note)}</small></p>\n",
    )


run_script(main, snakemake)  # noqa: F821
