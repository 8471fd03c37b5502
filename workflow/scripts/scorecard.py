"""Table 9 and the report's scorecard: consistency, localization (cue AUROC and, in the embedded
study, the counterfactual rank r), sanity checks and faithfulness per method × architecture, each
trained backbone against the control, with a paragraph written from the numbers."""

import html
from pathlib import Path

from authxai.attribution.methods import METHODS
from authxai.sanity import MIN_SANITY_IMAGES, sanity_verdicts
from authxai.scorecard import (
    SCORES,
    across_pairs,
    consistency_vs_localization,
    scorecard_display,
    scorecard_reading,
    scorecard_table,
    within_estimates,
)
from authxai.statistics import ci_cells
from authxai.tables import read_parquet, read_parquets, write_markdown_and_csv, write_text
from authxai.workflow import log, run_script


def pairs_display(pairs):
    """Across-architecture r per pair of architectures as text cells, trained pairs first."""
    shown = pairs.assign(order=pairs["pair"].eq("control")).sort_values(["order", "method"], kind="stable")
    shown = shown.assign(across_r=ci_cells(shown, ["across_r"])["across_r"], images=shown["n_image_id"])
    return shown[["pair", "method", "arch_a", "arch_b", "across_r", "images"]]


def main(smk):
    cfg, controls = smk.params.sanity, list(smk.params.controls)
    similarity = read_parquets(smk.input.sanity)
    deepest = similarity.loc[similarity["stages"].idxmax(), "level"]
    verdicts = sanity_verdicts(similarity, deepest, cfg["threshold"], smk.params.n_boot, smk.params.seed)
    within, localization = read_parquets(smk.input.within), read_parquets(smk.input.get("localization", []))
    across = read_parquets(smk.input.across)
    n_boot, seed = smk.params.n_boot, smk.params.seed
    card = scorecard_table(
        verdicts,
        read_parquets(smk.input.faithfulness),
        within,
        across,
        localization,
        n_boot=n_boot,
        seed=seed,
        counterfactual=read_parquets(smk.input.get("counterfactual", [])),
        controls=controls,
    )
    agreement = (
        consistency_vs_localization(within, localization, controls)
        if within is not None and localization is not None
        else None
    )
    write_text(smk.output.relations, "" if agreement is None else agreement.to_csv(index=False))
    variance = read_parquet(smk.input.variance) if smk.input.get("variance") else None  # Table 10's numbers
    pairs = across_pairs(across, controls, n_boot, seed) if across is not None else None
    reading = scorecard_reading(card, agreement, variance, pairs)
    table = scorecard_display(card)
    estimates = within_estimates(within)
    shown = table[["method", "arch", *[s for s in SCORES if s in table], "sanity"]]
    log.info("Table 9\n%s\n\n%s", shown.to_string(index=False), reading)
    control = f" Control (the null): {', '.join(controls)}." if controls else ""
    note = (
        f"Sanity: model test at level `{deepest}`, data test with permuted ratings; pass = the 95% bootstrap CI "
        f"over images of the mean Spearman r(|original|, |randomized|) below {cfg['threshold']}, fail = above, "
        f"else inconclusive; under {MIN_SANITY_IMAGES} images no verdict (n too small). "
        "Cells: mean [95% bootstrap CI over images]; "
        f"`*_vs_control`: paired difference from the control on the same images.{control}"
        + "".join(f" {METHODS[m].label}'s within-arch r: {text}." for m, text in estimates.items())
    )
    stem = smk.output.table9_scorecard_csv.removesuffix(".csv")
    write_markdown_and_csv(table, stem, note=note)
    pairs_md = ""
    if pairs is not None:
        write_text(smk.output.across_pairs, pairs.to_csv(index=False))
        pairs_md = (
            "\n\nAcross-architecture prototype r per pair (trained pairs first; pairs with a control shown apart):\n\n"
            + pairs_display(pairs).to_markdown(index=False)
            + "\n"
        )
    else:
        write_text(smk.output.across_pairs, "")
    write_text(f"{stem}.md", Path(f"{stem}.md").read_text() + pairs_md)
    write_text(
        smk.output.markdown, f"# Scorecard\n\n{reading}\n\n{shown.to_markdown(index=False)}{pairs_md}\n\n{note}\n"
    )
    write_text(
        smk.output.reading,
        f"<h2>Scorecard</h2>\n<p>{html.escape(reading)}</p>\n{shown.to_html(index=False, border=0)}\n"
        + ("" if pairs is None else pairs_display(pairs).to_html(index=False, border=0))
        + f"\n<p><small>{html.escape(note)}</small></p>\n",
    )


run_script(main, snakemake)  # noqa: F821
