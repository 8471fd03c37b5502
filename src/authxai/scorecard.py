"""The identifiability scorecard: is a consistent explanation also a correct one?

Per method × architecture (Experiment 2's variants) side by side:

- **consistency**: within-architecture mean pairwise Pearson r of the seeds' maps, and the mean r
  of the architecture's prototype with the other architectures' prototypes;
- **localization** (planted-cue study only): AUROC of the variants' maps against the cue masks;
- **counterfactual agreement** (planted-cue study only): rank r between each variant's map mass
  per cue region and how much that variant's prediction moves when the cue is not painted
  (:mod:`authxai.counterfactual`) — correctness against what the model uses, not only where
  the cues are;
- **sanity**: Adebayo et al.'s model- and data-randomization tests passed or failed;
- **faithfulness**: deletion MoRF − LeRF area (rating units; > 0 = faithful).

Each score is a mean with a bootstrap 95% CI over images. :func:`consistency_vs_localization`
asks the key question per image, and :func:`scorecard_reading` writes the plain-language
paragraph of the report from the numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from authxai.uncertainty import ci_cells, format_ci, summarize_with_ci

#: Score column -> (label in the table and text, higher is better).
SCORES = {
    "within_r": "within-arch r",
    "across_r": "across-arch r",
    "auroc": "cue AUROC",
    "cf_agreement": "counterfactual rank r",
    "faithfulness_gap": "MoRF−LeRF gap",
}


def _across_long(across: pd.DataFrame) -> pd.DataFrame:
    """Across-architecture pairs as one row per (method, arch, image, other arch)."""
    a = across.rename(columns={"arch_a": "arch", "arch_b": "other"})
    b = across.rename(columns={"arch_b": "arch", "arch_a": "other"})
    return pd.concat([a, b], ignore_index=True).rename(columns={"pearson": "across_r"})


def _long_scores(
    within: pd.DataFrame | None,
    across: pd.DataFrame | None,
    localization: pd.DataFrame | None,
    faithfulness: pd.DataFrame,
    counterfactual: pd.DataFrame | None = None,
) -> list[tuple[str, pd.DataFrame]]:
    parts = [("faithfulness_gap", faithfulness.rename(columns={"gap": "faithfulness_gap"}))]
    if within is not None and len(within):
        parts.append(("within_r", within[within["subset"] == "test"].rename(columns={"pearson": "within_r"})))
    if across is not None and len(across):
        parts.append(("across_r", _across_long(across)))
    if localization is not None and len(localization):
        variant = localization[(localization["kind"] == "variant") & (localization["regime"] == "test")]
        parts.append(("auroc", variant))
    if counterfactual is not None and len(counterfactual):
        parts.append(("cf_agreement", counterfactual))
    return parts


def scorecard_table(
    sanity: pd.DataFrame,
    faithfulness: pd.DataFrame,
    within: pd.DataFrame | None = None,
    across: pd.DataFrame | None = None,
    localization: pd.DataFrame | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    counterfactual: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per (method, arch): each score's mean and 95% CI over images, the sanity verdicts.

    ``sanity`` is :func:`authxai.sanity.sanity_verdicts` output; the others are the long tables
    of the faithfulness, consistency, localization and counterfactual-agreement stages (method,
    arch, image_id, score; several seeds of an image are averaged before images are resampled).
    """
    card = sanity[["method", "arch"]].copy()
    for score, long in _long_scores(within, across, localization, faithfulness, counterfactual):
        summary = summarize_with_ci(long, ["method", "arch"], [score], n_boot=n_boot, seed=seed)
        card = card.merge(summary.drop(columns="n_image_id"), on=["method", "arch"], how="left")
    if "cf_agreement" in card:
        # the rank r is undefined on some images (no cue, tied effects): say how many it rests on
        per_image = counterfactual.groupby(["method", "arch", "image_id"])["cf_agreement"].mean()
        defined = per_image.notna().groupby(["method", "arch"]).sum().rename("cf_agreement_images")
        card = card.merge(defined.reset_index(), on=["method", "arch"], how="left")
    verdicts = sanity[["method", "arch", "model_spearman", "data_spearman", "model_pass", "data_pass", "passes"]]
    return card.merge(verdicts, on=["method", "arch"], how="left")


def sanity_label(row: pd.Series) -> str:
    if row["passes"]:
        return "pass"
    failed = [test for test in ("model", "data") if not row[f"{test}_pass"]]
    return "fail (" + ", ".join(failed) + ")"


def scorecard_display(card: pd.DataFrame) -> pd.DataFrame:
    """Table 9: text cells ``mean [low, high]`` and the sanity verdict, numbers kept beside."""
    scores = [s for s in SCORES if s in card.columns]
    table = card[["method", "arch"]].copy()
    table[scores] = ci_cells(card, scores)
    table["sanity"] = card.apply(sanity_label, axis=1)
    for score in scores:
        table[[f"{score}_mean", f"{score}_low", f"{score}_high"]] = card[[score, f"{score}_low", f"{score}_high"]]
    table[["model_spearman", "data_spearman"]] = card[["model_spearman", "data_spearman"]]
    if "cf_agreement_images" in card:
        table["cf_agreement_images"] = card["cf_agreement_images"]
    return table


def within_estimates(within: pd.DataFrame | None) -> dict[str, str]:
    """Method -> what its within-architecture r estimates, for the methods whose consistency
    table says (its ``estimate`` column: LIME's, :mod:`authxai.consistency_lime`)."""
    if within is None or "estimate" not in within:
        return {}
    said = within.dropna(subset=["estimate"])
    return {method: "; ".join(sub["estimate"].unique()) for method, sub in said.groupby("method", sort=False)}


def consistency_vs_localization(within: pd.DataFrame, localization: pd.DataFrame) -> pd.DataFrame:
    """Per method: Pearson r over (arch, image) between within-architecture consistency and the
    variants' mean cue AUROC — does agreement among seeds imply a correct map?"""
    variant = localization[localization["kind"] == "variant"]
    if "regime" in variant:
        variant = variant[variant["regime"] == "test"]
    auroc = variant.groupby(["method", "arch", "image_id"])["auroc"].mean().reset_index()
    merged = within.merge(auroc, on=["method", "arch", "image_id"])
    rows = []
    for method, sub in merged.groupby("method", sort=False):
        ok = sub[["pearson", "auroc"]].dropna()
        r, p = stats.pearsonr(ok["pearson"], ok["auroc"]) if len(ok) > 2 else (np.nan, np.nan)
        rows.append({"method": method, "n": len(ok), "r": float(r), "p": float(p)})
    return pd.DataFrame(rows)


def _best(card: pd.DataFrame, score: str) -> pd.Series:
    return card.loc[card[score].idxmax()]


def ci_above(card: pd.DataFrame, score: str, bar: float) -> pd.DataFrame:
    """The rows whose 95% CI of ``score`` lies above ``bar``."""
    return card[card[f"{score}_low"] > bar]


def _leader(card: pd.DataFrame, score: str, bar: float) -> tuple[pd.Series, str]:
    """The row with the highest ``score`` and the names of the rows whose CI lies above ``bar``."""
    return _best(card, score), _names(ci_above(card, score, bar))


def _joined(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _names(rows: pd.DataFrame, value: str | None = None) -> str:
    """ "a on x, b on y and c on z", each followed by its ``value`` column in parentheses if given."""
    items = [f"{r.method} on {r.arch}" + (f" ({getattr(r, value):.2f})" if value else "") for r in rows.itertuples()]
    return _joined(items) if items else "none"


def _images(n: float) -> str:
    return "1 image" if n == 1 else f"{int(n)} images"


def _cue_use(variance: pd.DataFrame) -> list[str]:
    """Sentences on whether the heads use the planted cues, from Table 10's per-architecture
    means: the variance share itself, then what its CIs support (most of the variance: CI
    above 0.5; less than half: CI below 0.5)."""
    mean = variance[variance["kind"] == "mean"].dropna(subset=["r2"])
    if not len(mean):
        return []
    cells = [f"{format_ci(r.r2, r.r2_low, r.r2_high)} on {r.arch} ({_images(r.images)})" for r in mean.itertuples()]
    sentences = [
        "Do the heads use the planted cues? Rendering each image without its artifacts accounts for a share "
        "R² of the variance of the predictions over images (mean over variants [95% CI]) of " + _joined(cells) + "."
    ]
    most, less = mean[mean["r2_low"] > 0.5], mean[mean["r2_high"] < 0.5]
    claims = [f"most of it (CI above 0.5) on {_joined(list(most['arch']))}"] if len(most) else []
    claims += [f"less than half (CI below 0.5) on {_joined(list(less['arch']))}"] if len(less) else []
    if claims:
        sentences.append("The cues carry " + "; ".join(claims) + ".")
    return sentences


def tied_with_best(card: pd.DataFrame, score: str) -> pd.DataFrame:
    """The rows the CIs cannot rank below the best one on ``score``: their upper bound reaches
    the best row's lower bound."""
    best = _best(card, score)
    return card[card[f"{score}_high"] >= best[f"{score}_low"]]


def consistent_but_worse(card: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The most consistent rows (:func:`tied_with_best` on within-architecture r) whose cue
    AUROC CI lies below the best localizer's, and that best row."""
    consistent, top = tied_with_best(card, "within_r"), _best(card, "auroc")
    return consistent[consistent["auroc_high"] < top["auroc_low"]], top


def _identifiability(card: pd.DataFrame) -> str:
    """Is the most consistent explanation the most correct one — said only as far as the CIs of
    within-architecture r and cue AUROC separate the rows."""
    consistent = tied_with_best(card, "within_r")
    less_correct, top = consistent_but_worse(card)
    lead = (
        f"The most consistent explanations (within-architecture r's CI reaches the best one's) are {_names(consistent)}"
    )
    if len(less_correct):
        return (
            f"{lead}; of them, {_names(less_correct, 'auroc')} localize the cues worse than {top.method} on "
            f"{top.arch} ({top.auroc:.2f}; AUROC CIs apart): consistency alone does not identify the right "
            "explanation."
        )
    return (
        f"{lead}; none of them localizes the cues measurably worse than the best map ({top.method} on "
        f"{top.arch}, AUROC {top.auroc:.2f}; CIs overlap), so these data do not show that consistency fails to "
        "identify the right explanation."
    )


def scorecard_reading(
    card: pd.DataFrame, agreement: pd.DataFrame | None = None, variance: pd.DataFrame | None = None
) -> str:
    """A plain-language paragraph from the scorecard's numbers (no number is typed by hand).

    Consistent: within-architecture r's CI above 0.5; correct: cue AUROC's CI above chance (0.5),
    and counterfactual rank r's CI above 0 (the map orders the cue regions as the variant's
    predictions depend on them); faithful: MoRF−LeRF gap's CI above 0; sanity: both
    randomization tests passed. ``variance`` (Table 10, :func:`authxai.counterfactual.variance_share_table`)
    adds whether the heads use the cues at all.
    """
    sentences = []
    if "within_r" in card:
        best, consistent = _leader(card, "within_r", 0.5)
        sentences.append(
            f"Explanations are most consistent across seeds for {best.method} on {best.arch} "
            f"(within-architecture r = {best.within_r:.2f}); the CI is above 0.5 for {consistent}."
        )
    if "across_r" in card:
        best = _best(card, "across_r")
        sentences.append(
            f"Across architectures agreement is at most r = {best.across_r:.2f} ({best.method} on {best.arch})."
        )
    if "auroc" in card:
        best, correct = _leader(card, "auroc", 0.5)
        sentences.append(
            f"Against the planted cues, {best.method} on {best.arch} localizes best (AUROC = {best.auroc:.2f}); "
            f"maps are better than chance (CI above 0.5) for {correct}."
        )
    if variance is not None:
        sentences += _cue_use(variance)
    if "cf_agreement" in card and card["cf_agreement"].notna().any():
        best, agreeing = _leader(card, "cf_agreement", 0.0)
        against = _names(card[card["cf_agreement_high"] < 0.0])
        sentences.append(
            "Against the model-grounded truth (each cue region weighted by how much the variant's prediction "
            f"moves when that cue is not painted), {best.method} on {best.arch} ranks the regions best "
            f"(counterfactual rank r = {best.cf_agreement:.2f} over {_images(best.cf_agreement_images)}); maps order "
            "the regions as the heads use them "
            f"(CI above 0) for {agreeing}"
            + (f", and in reverse (CI below 0) for {against}." if against != "none" else ".")
        )
    passed = card[card["passes"].astype(bool)]
    failed = card[~card["passes"].astype(bool)]
    sentences.append(
        f"The randomization sanity checks are passed by {_names(passed)}"
        + (f" and failed by {_names(failed)}." if len(failed) else ".")
    )
    # with the gaps themselves: a CI above 0 can be a negligible gap (a model whose output hardly moves)
    faithful = ci_above(card, "faithfulness_gap", 0.0)
    sentences.append(
        "Deleting the most relevant pixels first moves the prediction more than the least relevant ones "
        f"(gap CI above 0; gap in rating units) for {_names(faithful, 'faithfulness_gap')}."
    )
    if agreement is not None and len(agreement):
        parts = [f"{r.method}: r = {r.r:.2f} (n = {r.n})" for r in agreement.itertuples()]
        sentences.append(
            "Does agreement imply correctness? Per image, within-architecture consistency and cue AUROC correlate "
            + "; ".join(parts)
            + "."
        )
        if "within_r" in card and "auroc" in card:
            sentences.append(_identifiability(card))
    elif "auroc" not in card:
        sentences.append(
            "Real images carry no ground truth, so whether the consistent explanations are correct cannot be "
            "read from these data; run the planted-cue study for that."
        )
    return " ".join(sentences)
