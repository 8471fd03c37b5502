"""The identifiability scorecard: is a consistent explanation also a correct one?

Per method × architecture (Experiment 2's variants) side by side:

- **consistency**: within-architecture mean pairwise Pearson r of the seeds' maps, and the mean r
  of the architecture's prototype with the other trained architectures' prototypes (a control's
  row: with the trained ones; :func:`across_pairs` gives every pair apart);
- **localization** (planted-cue study only): AUROC of the variants' maps against the cue masks;
- **counterfactual agreement** (planted-cue study only): rank r between each variant's map mass
  per cue region and how much that variant's prediction moves when the cue is not painted
  (:mod:`authxai.counterfactual`) — correctness against what the model uses, not only where
  the cues are;
- **sanity**: Adebayo et al.'s model- and data-randomization tests passed or failed;
- **faithfulness**: deletion MoRF − LeRF area (rating units; > 0 = faithful).

Each score is a mean with a bootstrap 95% CI over images. A **control** architecture (the
random-init network, :attr:`authxai.models.backbones.ArchSpec.control`) is the null, not a
finding: it keeps its rows, but the trained backbones' localization, reliance and faithfulness
are judged by their paired difference from the control on the same images
(:func:`control_differences`, the ``*_vs_control`` columns), and no "best / most / better"
sentence ever names it. :func:`consistency_vs_localization` asks the key question per image and
trained architecture, and :func:`scorecard_reading` writes the report's paragraph from the
numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from authxai.statistics import bootstrap_ci, ci_cells, correlation_ci, format_ci, summarize_with_ci

#: Score column -> label in the table and text.
SCORES = {
    "within_r": "within-arch r",
    "across_r": "across-arch r",
    "auroc": "cue AUROC",
    "auroc_vs_control": "cue AUROC − control",
    "cf_agreement": "counterfactual rank r",
    "cf_agreement_vs_control": "rank r − control",
    "faithfulness_gap": "MoRF−LeRF gap",
    "faithfulness_gap_vs_control": "gap − control",
}
#: Scores each trained backbone is compared with the control on (paired over images).
CONTROL_COMPARED = ("auroc", "cf_agreement", "faithfulness_gap")


def trained_rows(card: pd.DataFrame) -> pd.DataFrame:
    """The rows of trained backbones (all rows of a card without a ``control`` column)."""
    return card[~card["control"].astype(bool)] if "control" in card else card


def control_rows(card: pd.DataFrame) -> pd.DataFrame:
    """The rows of control architectures (none without a ``control`` column)."""
    return card[card["control"].astype(bool)] if "control" in card else card.iloc[:0]


def _across_long(across: pd.DataFrame, controls: Sequence[str] = ()) -> pd.DataFrame:
    """Across-architecture pairs as one row per (method, arch, image, other arch): a trained
    backbone's rows pair it with the other trained ones only, a control's with the trained ones."""
    a = across.rename(columns={"arch_a": "arch", "arch_b": "other"})
    b = across.rename(columns={"arch_b": "arch", "arch_a": "other"})
    long = pd.concat([a, b], ignore_index=True).rename(columns={"pearson": "across_r"})
    return long[long["arch"].isin(controls) | ~long["other"].isin(controls)]


def across_pairs(across: pd.DataFrame, controls: Sequence[str] = (), n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Per method and pair of architectures: the prototypes' mean Pearson r with its 95% CI over
    images (``across_r``, ``_low``, ``_high``, ``n_image_id``) and ``pair``: ``trained`` (two
    trained backbones) or ``control`` (one of them a control)."""
    pairs = summarize_with_ci(across, ["method", "arch_a", "arch_b"], ["pearson"], n_boot=n_boot, seed=seed)
    pairs = pairs.rename(columns=lambda c: c.replace("pearson", "across_r"))
    with_control = pairs["arch_a"].isin(controls) | pairs["arch_b"].isin(controls)
    return pairs.assign(pair=np.where(with_control, "control", "trained"))


def _long_scores(
    within: pd.DataFrame | None,
    across: pd.DataFrame | None,
    localization: pd.DataFrame | None,
    faithfulness: pd.DataFrame,
    counterfactual: pd.DataFrame | None = None,
    controls: Sequence[str] = (),
) -> list[tuple[str, pd.DataFrame]]:
    parts = [("faithfulness_gap", faithfulness.rename(columns={"gap": "faithfulness_gap"}))]
    if within is not None and len(within):
        parts.append(("within_r", within[within["subset"] == "test"].rename(columns={"pearson": "within_r"})))
    if across is not None and len(across):
        parts.append(("across_r", _across_long(across, controls)))
    if localization is not None and len(localization):
        variant = localization[(localization["kind"] == "variant") & (localization["regime"] == "test")]
        parts.append(("auroc", variant))
    if counterfactual is not None and len(counterfactual):
        parts.append(("cf_agreement", counterfactual))
    return parts


def control_differences(
    long: pd.DataFrame, score: str, control: str, n_boot: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """Per (method, trained arch): mean over images of ``score`` minus the ``control``'s score on
    the same image (seeds averaged first), with its paired bootstrap 95% CI over those images.
    Columns ``<score>_vs_control``, ``_low``, ``_high`` and ``<score>_vs_control_images``."""
    per_image = long.groupby(["method", "arch", "image_id"])[score].mean().unstack("arch")
    rows = []
    for method, table in per_image.groupby(level="method", sort=False):
        if control not in table:
            continue
        for arch in (a for a in table.columns if a != control):
            difference = (table[arch] - table[control]).dropna().to_numpy()
            mean, low, high = bootstrap_ci(difference, n_boot=n_boot, seed=seed)
            name = f"{score}_vs_control"
            row = {"method": method, "arch": arch, name: mean, f"{name}_low": low, f"{name}_high": high}
            rows.append(row | {f"{name}_images": len(difference)})
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=["method", "arch"])


def scorecard_table(
    sanity: pd.DataFrame,
    faithfulness: pd.DataFrame,
    within: pd.DataFrame | None = None,
    across: pd.DataFrame | None = None,
    localization: pd.DataFrame | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    counterfactual: pd.DataFrame | None = None,
    controls: Sequence[str] = (),
) -> pd.DataFrame:
    """One row per (method, arch): each score's mean and 95% CI over images, the trained rows'
    paired differences from the first control of ``controls``, the sanity verdicts, ``control``.

    ``sanity`` is :func:`authxai.sanity.sanity_verdicts` output; the others are the long tables
    of the faithfulness, consistency, localization and counterfactual-agreement stages (method,
    arch, image_id, score; several seeds of an image are averaged before images are resampled).
    """
    card = sanity[["method", "arch"]].copy()
    for score, long in _long_scores(within, across, localization, faithfulness, counterfactual, controls):
        summary = summarize_with_ci(long, ["method", "arch"], [score], n_boot=n_boot, seed=seed)
        summary = summary.rename(columns={"n_image_id": f"{score}_n"})  # images its CI rests on
        card = card.merge(summary, on=["method", "arch"], how="left")
        if score in CONTROL_COMPARED and controls:
            differences = control_differences(long, score, controls[0], n_boot, seed)
            card = card.merge(differences, on=["method", "arch"], how="left")
    if "cf_agreement" in card:
        # the rank r is undefined on some images (fewer than two cue regions, tied effects): say how many it rests on
        per_image = counterfactual.groupby(["method", "arch", "image_id"])["cf_agreement"].mean()
        defined = per_image.notna().groupby(["method", "arch"]).sum().rename("cf_agreement_images")
        card = card.merge(defined.reset_index(), on=["method", "arch"], how="left")
    estimates = within_estimates(within)
    if estimates:  # what each method's within r estimates (LIME: split halves of a shared draw, or own draws)
        card["within_estimate"] = card["method"].map(estimates)
    verdict_columns = [c for c in sanity.columns if c not in ("method", "arch") and c not in card]
    card = card.merge(sanity[["method", "arch", *verdict_columns]], on=["method", "arch"], how="left")
    card["control"] = card["arch"].isin(controls)
    return card


def _verdicts(row: pd.Series) -> dict[str, str]:
    """Test -> verdict: the sanity table's ``<test>_verdict`` where it has one, else pass/fail."""
    return {
        test: str(row[f"{test}_verdict"]) if f"{test}_verdict" in row else ("pass" if row[f"{test}_pass"] else "fail")
        for test in ("model", "data")
    }


def sanity_label(row: pd.Series) -> str:
    """``pass``, ``fail (model, data)`` or e.g. ``model pass, data inconclusive``; ``(n = k)``
    where the sanity table says on how many images."""
    verdicts = _verdicts(row)
    if set(verdicts.values()) == {"pass"}:
        label = "pass"
    elif set(verdicts.values()) <= {"pass", "fail"}:
        label = "fail (" + ", ".join(t for t, v in verdicts.items() if v == "fail") + ")"
    else:
        label = ", ".join(f"{t} {v}" for t, v in verdicts.items())
    n = row.get("sanity_images")
    return label + (f" (n = {int(n)})" if n is not None and pd.notna(n) else "")


def scorecard_display(card: pd.DataFrame) -> pd.DataFrame:
    """Table 9: text cells ``mean [low, high]``, the sanity verdict, numbers kept beside."""
    scores = [s for s in SCORES if s in card.columns]
    table = card[["method", "arch"]].copy()
    for score in scores:
        # "n too small" under MIN_CI_UNITS images (the counterfactual rank r: images it is defined on)
        n = next((c for c in (f"{score}_images", f"{score}_n") if c in card), None)
        cells = ci_cells(card.fillna({n: 0}) if n else card, [score], n=n)[score]
        table[score] = cells.where(card[score].notna(), "—")
    table["sanity"] = card.apply(sanity_label, axis=1)
    for score in scores:
        table[[f"{score}_mean", f"{score}_low", f"{score}_high"]] = card[[score, f"{score}_low", f"{score}_high"]]
    extra = [c for c in card if c.endswith("_images") or c.endswith("_spearman") or c.endswith("_spearman_low")]
    extra += [c for c in card if c.endswith("_spearman_high") or c in ("within_estimate", "control")]
    table[extra] = card[extra]
    return table


def within_estimates(within: pd.DataFrame | None) -> dict[str, str]:
    """Method -> what its within-architecture r estimates, for the methods whose consistency
    table says (its ``estimate`` column: LIME's, :mod:`authxai.consistency_lime`)."""
    if within is None or "estimate" not in within:
        return {}
    said = within.dropna(subset=["estimate"])
    return {method: "; ".join(sub["estimate"].unique()) for method, sub in said.groupby("method", sort=False)}


def consistency_vs_localization(
    within: pd.DataFrame, localization: pd.DataFrame, controls: Sequence[str] = ()
) -> pd.DataFrame:
    """Per method and trained architecture: Pearson r over images between within-architecture
    consistency and the variants' mean cue AUROC — does agreement among seeds imply a correct
    map? Images are the independent units (one point each); columns n, r, its Fisher-z 95% CI
    (``r_low``, ``r_high``) and p. Controls are left out: their maps are the null."""
    variant = localization[localization["kind"] == "variant"]
    if "regime" in variant:
        variant = variant[variant["regime"] == "test"]
    auroc = variant.groupby(["method", "arch", "image_id"])["auroc"].mean().reset_index()
    merged = within.merge(auroc, on=["method", "arch", "image_id"])
    merged = merged[~merged["arch"].isin(controls)]
    rows = []
    for (method, arch), sub in merged.groupby(["method", "arch"], sort=False):
        ok = sub[["pearson", "auroc"]].dropna()
        r, p = stats.pearsonr(ok["pearson"], ok["auroc"]) if len(ok) > 2 else (np.nan, np.nan)
        low, high = correlation_ci(float(r), len(ok))
        rows.append({"method": method, "arch": arch, "n": len(ok), "r": float(r), "r_low": low, "r_high": high})
        rows[-1]["p"] = float(p)
    return pd.DataFrame(rows)


def _best(card: pd.DataFrame, score: str) -> pd.Series:
    return card.loc[card[score].idxmax()]


def ci_above(card: pd.DataFrame, score: str, bar: float) -> pd.DataFrame:
    """The rows whose 95% CI of ``score`` lies above ``bar``."""
    return card[card[f"{score}_low"] > bar]


def _joined(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _names(rows: pd.DataFrame, value: str | None = None) -> str:
    """ "a on x, b on y and c on z", each followed by its ``value`` column in parentheses if given."""
    items = [f"{r.method} on {r.arch}" + (f" ({getattr(r, value):.2f})" if value else "") for r in rows.itertuples()]
    return _joined(items) if items else "none"


def _cells(rows: pd.DataFrame, score: str) -> str:
    """ "gradcam 0.56 [0.54, 0.59], lime …": one method's CI cell each (a control's rows)."""
    cells = [
        f"{r['method']} {format_ci(r[score], r[f'{score}_low'], r[f'{score}_high'], n=_count(r, score))}"
        for _, r in rows.iterrows()
    ]
    return ", ".join(cells)


def _count(row: pd.Series, score: str) -> int | None:
    """Images a row's CI of ``score`` rests on, where the card records it."""
    n = row.get(f"{score}_images", row.get(f"{score}_n"))
    return None if n is None or pd.isna(n) else int(n)


def control_phrase(card: pd.DataFrame) -> str:
    """How the text names the control: the only way a control's name enters the paragraph."""
    return "the untrained control (" + _joined(sorted(control_rows(card)["arch"].unique())) + ")"


def _images(n: float) -> str:
    return "1 image" if n == 1 else f"{int(n)} images"


def _cue_use(variance: pd.DataFrame, controls: Sequence[str] = ()) -> list[str]:
    """Sentences on whether the heads use the planted cues, from Table 10's per-architecture
    means: the variance share itself, then what its CIs support for the trained backbones (most
    of the variance: CI above 0.5; less than half: CI below 0.5)."""
    mean = variance[variance["kind"] == "mean"].dropna(subset=["r2"])
    if not len(mean):
        return []
    trained, control = mean[~mean["arch"].isin(controls)], mean[mean["arch"].isin(controls)]
    cells = [
        f"{format_ci(r.r2, r.r2_low, r.r2_high, n=int(r.images))} on {r.arch} ({_images(r.images)})"
        for r in trained.itertuples()
    ]
    if not cells:
        return []
    sentence = (
        "Do the heads use the planted cues? Rendering each image without its artifacts accounts for a share "
        "R² of the variance of the predictions over images (mean over variants [95% CI]) of " + _joined(cells)
    )
    if len(control):
        r2 = "; ".join(format_ci(r.r2, r.r2_low, r.r2_high, n=int(r.images)) for r in control.itertuples())
        sentence += f" (the untrained control ({_joined(list(control['arch']))}): {r2})"
    sentences = [sentence + "."]
    most, less = trained[trained["r2_low"] > 0.5], trained[trained["r2_high"] < 0.5]
    claims = [f"most of it (CI above 0.5) on {_joined(list(most['arch']))}"] if len(most) else []
    claims += [f"less than half (CI below 0.5) on {_joined(list(less['arch']))}"] if len(less) else []
    if claims:
        sentences.append("The cues carry " + "; ".join(claims) + ".")
    return sentences


def tied_with_best(card: pd.DataFrame, score: str) -> pd.DataFrame:
    """The rows the CIs cannot rank below the best one on ``score``: their upper bound reaches
    the best row's lower bound (trained rows only: a control is never "best")."""
    card = trained_rows(card)
    best = _best(card, score)
    return card[card[f"{score}_high"] >= best[f"{score}_low"]]


def consistent_but_worse(card: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The most consistent trained rows (:func:`tied_with_best` on within-architecture r) whose
    cue AUROC CI lies below the best trained localizer's, and that best row."""
    consistent, top = tied_with_best(card, "within_r"), _best(trained_rows(card), "auroc")
    return consistent[consistent["auroc_high"] < top["auroc_low"]], top


def _identifiability(card: pd.DataFrame) -> str:
    """Is the most consistent explanation the most correct one — said only as far as the CIs of
    within-architecture r and cue AUROC separate the trained rows."""
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


def _consistency(card: pd.DataFrame) -> list[str]:
    trained, control = trained_rows(card), control_rows(card)
    best, consistent = _best(trained, "within_r"), _names(ci_above(trained, "within_r", 0.5))
    sentence = (
        f"Explanations are most consistent across seeds for {best.method} on {best.arch} "
        f"(within-architecture r = {best.within_r:.2f}); the CI is above 0.5 for {consistent}"
    )
    if len(control):
        sentence += f"; for {control_phrase(card)} it is {_cells(control, 'within_r')}"
    sentences = [sentence + "."]
    if "within_estimate" in card:
        estimates = card.dropna(subset=["within_estimate"]).drop_duplicates(["method", "within_estimate"])
        sentences += [f"{r.method}'s within-architecture r: {r.within_estimate}." for r in estimates.itertuples()]
    return sentences


def _across(card: pd.DataFrame, pairs: pd.DataFrame | None) -> list[str]:
    """Across-architecture agreement per pair of trained backbones (from :func:`across_pairs`),
    else the trained rows' means."""
    if pairs is None or not len(pairs):
        best = _best(trained_rows(card), "across_r")
        return [f"Across architectures agreement is at most r = {best.across_r:.2f} ({best.method} on {best.arch})."]
    trained = pairs[pairs["pair"] == "trained"]
    if not len(trained):
        return []
    parts = []
    for method, sub in trained.groupby("method", sort=False):
        cells = [
            f"{format_ci(r.across_r, r.across_r_low, r.across_r_high, n=r.n_image_id)} ({r.arch_a}–{r.arch_b}, "
            f"{_images(r.n_image_id)})"
            for r in sub.itertuples()
        ]
        if len(cells) > 3:
            low, high = sub.loc[sub["across_r"].idxmin()], sub.loc[sub["across_r"].idxmax()]
            span = (
                f"{low.across_r:.2f} ({low.arch_a}–{low.arch_b}) to {high.across_r:.2f} ({high.arch_a}–{high.arch_b})"
            )
            cells = [f"from {span} over {len(sub)} pairs"]
        parts.append(f"{method} r = " + ", ".join(cells))
    return ["Across the trained backbones the prototypes agree: " + "; ".join(parts) + "."]


def _against_control(card: pd.DataFrame, score: str, verb: str, noun: str) -> str:
    """Which trained rows beat the control on ``score`` (paired difference CI above 0), and which
    do not, ``verb`` saying what better means ("localizes the planted cues"); with the control's
    own numbers in :func:`control_phrase` form."""
    trained, control = trained_rows(card), control_rows(card)
    name = f"{score}_vs_control"
    better = trained[trained[f"{name}_low"] > 0]
    lead = f"Paired with {control_phrase(card)} on the same images (difference in {noun}, 95% CI), "
    if len(better):
        sentence = lead + f"a trained map {verb} better than the control for {_names(better, name)}"
        not_better = trained[~trained.index.isin(better.index)]
        sentence += f", and no better for {_names(not_better)}" if len(not_better) else ""
    else:
        sentence = lead + f"no trained map {verb} better than the control (every CI of the difference reaches 0)"
    return sentence + f"; the control's own {noun} is {_cells(control, score)}."


def _localization(card: pd.DataFrame) -> list[str]:
    trained, control = trained_rows(card), control_rows(card)
    if not len(control) or "auroc_vs_control" not in card:
        best = _best(trained, "auroc")
        return [
            f"Against the planted cues, {best.method} on {best.arch} localizes best (AUROC = {best.auroc:.2f}); maps "
            f"are better than chance (CI above 0.5) for {_names(ci_above(trained, 'auroc', 0.5))}."
        ]
    sentences = [_against_control(card, "auroc", "localizes the planted cues", "cue AUROC")]
    if len(ci_above(control, "auroc", 0.5)):
        sentences.append(
            "An untrained network's maps find the cues too (its AUROC CI lies above chance), so chance (0.5) is not "
            "the bar a localization claim has to clear."
        )
    better = trained[trained["auroc_vs_control_low"] > 0]
    if len(better):
        best = _best(better, "auroc")
        sentences.append(f"Of those, {best.method} on {best.arch} localizes best (AUROC = {best.auroc:.2f}).")
    return sentences


def _reliance(card: pd.DataFrame) -> list[str]:
    trained = trained_rows(card)
    truth = (
        "Against the model-grounded truth (the counterfactual rank r: cue regions only, each weighted by how much "
        "the variant's prediction moves when that cue is not painted; images with at least two cue regions)"
    )
    against = trained[trained["cf_agreement_high"] < 0.0]
    reverse = f"; maps order them in reverse (CI below 0) for {_names(against)}" if len(against) else ""
    if "cf_agreement_vs_control" not in card or not len(control_rows(card)):
        agreeing = ci_above(trained, "cf_agreement", 0.0)
        agreeing = _names(agreeing, "cf_agreement")
        return [f"{truth}, maps order the regions as the heads use them (CI above 0) for {agreeing}{reverse}."]
    # a reliance claim needs the paired difference from the control: rank r above 0 alone is not one
    above_zero = ci_above(trained, "cf_agreement", 0.0)
    matched = above_zero[~(above_zero["cf_agreement_vs_control_low"] > 0)]
    paired = _against_control(card, "cf_agreement", "orders the cue regions", "rank r")
    sentences = [f"{truth}: {paired[0].lower()}{paired[1:]}"]
    if len(matched):
        sentences.append(
            f"The rank r alone has its CI above 0 for {_names(matched, 'cf_agreement')}, which the control's maps "
            "match (paired CI reaches 0): not evidence that these maps track what the heads use."
        )
    if len(against):
        sentences.append(f"Maps order the cue regions in reverse (CI below 0) for {_names(against)}.")
    return sentences


def _sanity(card: pd.DataFrame) -> str:
    trained, control = trained_rows(card), control_rows(card)
    labels = trained.apply(sanity_label, axis=1) if len(trained) else pd.Series(dtype=str)
    groups = {}
    for row, label in zip(trained.itertuples(), labels):
        groups.setdefault(label, []).append(f"{row.method} on {row.arch}")
    parts = [f"{label}: {_joined(names)}" for label, names in groups.items()]
    sentence = "Randomization sanity checks — " + "; ".join(parts)
    if len(control):
        verdicts = ", ".join(f"{r['method']} {sanity_label(r)}" for _, r in control.iterrows())
        sentence += f" ({control_phrase(card)}: {verdicts})"
    return sentence + "."


def _faithfulness(card: pd.DataFrame) -> str:
    trained = trained_rows(card)
    faithful = ci_above(trained, "faithfulness_gap", 0.0)
    lead = "Deleting the most relevant pixels first moves the prediction more than the least relevant ones"
    if "faithfulness_gap_vs_control" in card and len(control_rows(card)):
        both = faithful[faithful["faithfulness_gap_vs_control_low"] > 0]
        return (
            f"{lead} (gap CI above 0, and above {control_phrase(card)}'s gap on the same images; gap in rating units) "
            f"for {_names(both, 'faithfulness_gap')}."
        )
    # with the gaps themselves: a CI above 0 can be a negligible gap (a model whose output hardly moves)
    return f"{lead} (gap CI above 0; gap in rating units) for {_names(faithful, 'faithfulness_gap')}."


def _relations(agreement: pd.DataFrame) -> list[str]:
    """Per method and trained architecture: consistency vs cue AUROC over images, with n and p;
    "no detectable relation" where the CI covers 0."""
    parts = [
        f"{r.method} on {r.arch} r = {format_ci(r.r, r.r_low, r.r_high, n=r.n)} (n = {r.n} images, p = {r.p:.2g})"
        if np.isfinite(r.r_low)
        else f"{r.method} on {r.arch} r undefined (n = {r.n} images)"
        for r in agreement.itertuples()
    ]
    related = agreement[(agreement["r_low"] > 0) | (agreement["r_high"] < 0)]
    unrelated = agreement[~agreement.index.isin(related.index) & np.isfinite(agreement["r_low"])]
    verdicts = ["too few images or constant values to tell"] if not len(related) + len(unrelated) else []
    if len(unrelated):
        verdicts.append(f"no detectable relation (CI covers 0) for {_names(unrelated)}")
    if len(related):
        verdicts.append(f"a relation (CI excludes 0) for {_names(related)}")
    return [
        "Does agreement imply correctness? Per image, within-architecture consistency and cue AUROC correlate "
        "(Pearson r [Fisher-z 95% CI]): " + "; ".join(parts) + f". Over these {len(agreement)} tests (each CI "
        "uncorrected for the others): " + "; ".join(verdicts) + "."
    ]


def scorecard_reading(
    card: pd.DataFrame,
    agreement: pd.DataFrame | None = None,
    variance: pd.DataFrame | None = None,
    pairs: pd.DataFrame | None = None,
) -> str:
    """A plain-language paragraph from the scorecard's numbers (no number is typed by hand).

    Trained rows only make claims. Consistent: within-architecture r's CI above 0.5; across:
    each pair of trained backbones (``pairs``, :func:`across_pairs`); correct: cue AUROC and
    counterfactual rank r better than the control's on the same images (paired CI above 0), or,
    without a control, AUROC's CI above chance; faithful: MoRF−LeRF gap's CI above 0 (and above
    the control's); sanity: the verdicts with their n. ``variance`` (Table 10) adds whether the
    heads use the cues; ``agreement`` (:func:`consistency_vs_localization`) the per-image relation.
    A control is named only through :func:`control_phrase`.
    """
    sentences = []
    if "within_r" in card:
        sentences += _consistency(card)
    if "across_r" in card:
        sentences += _across(card, pairs)
    if "auroc" in card:
        sentences += _localization(card)
    if variance is not None:
        sentences += _cue_use(variance, list(control_rows(card)["arch"].unique()))
    if "cf_agreement" in card and card["cf_agreement"].notna().any():
        sentences += _reliance(card)
    sentences.append(_sanity(card))
    sentences.append(_faithfulness(card))
    if agreement is not None and len(agreement):
        sentences += _relations(agreement)
        if "within_r" in card and "auroc" in card:
            sentences.append(_identifiability(card))
    elif "auroc" not in card:
        sentences.append(
            "Real images carry no ground truth, so whether the consistent explanations are correct cannot be "
            "read from these data; run the planted-cue study for that."
        )
    return " ".join(sentences)


def scorecard_headline(card: pd.DataFrame) -> str:
    """One sentence counting what the trained maps earn once the control is the null: consistent
    across seeds (within r CI above 0.5), faithful beyond the control, better than the control at
    localizing the cues and at ordering them by the heads' reliance (paired CIs above 0). Works on
    :func:`scorecard_table` output and on Table 9 as written (both have ``<score>_low``)."""
    trained = trained_rows(card)
    earned = {
        "consistent across seeds (within-architecture r CI above 0.5)": ("within_r", 0.5),
        "faithful beyond the control (deletion gap, paired CI above 0)": ("faithfulness_gap_vs_control", 0.0),
        "localize the planted cues better than the control (paired CI above 0)": ("auroc_vs_control", 0.0),
        "order the cue regions by the heads' reliance better than the control": ("cf_agreement_vs_control", 0.0),
    }
    parts = [
        f"{int((trained[f'{column}_low'] > bar).sum())} {what}"
        for what, (column, bar) in earned.items()
        if f"{column}_low" in trained
    ]
    subject = f"Of the {len(trained)} trained method × backbone rows"
    if not parts:
        return ""
    if not len(control_rows(card)):
        return f"{subject}, " + _joined(parts) + "."
    return f"{subject}, with {control_phrase(card)} as the null: " + _joined(parts) + "."
