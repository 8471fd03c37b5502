"""The scorecard puts the stages' numbers side by side: means recomputed by hand, verdicts and the
generated reading checked on a hand-made case whose answer is known."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from authxai.scorecard import (
    across_pairs,
    consistency_vs_localization,
    control_phrase,
    scorecard_display,
    scorecard_headline,
    scorecard_reading,
    scorecard_table,
)

IMAGES = ["i1", "i2", "i3", "i4"]


@pytest.fixture
def stages():
    """Method "agree" is consistent but wrong, "right" is inconsistent but localizes the cues."""
    rng = np.random.default_rng(0)
    within, loc, faith, across = [], [], [], []
    for method, r, auroc in (("agree", 0.9, 0.3), ("right", 0.2, 0.9)):
        for arch in ("a", "b"):
            for k, image in enumerate(IMAGES):
                within.append(
                    {"method": method, "arch": arch, "image_id": image, "subset": "test", "pearson": r + 0.01 * k}
                )
                for seed in (0, 1):
                    loc.append(
                        {
                            "method": method,
                            "arch": arch,
                            "image_id": image,
                            "regime": "test",
                            "kind": "variant",
                            "seed": seed,
                            "auroc": auroc + 0.02 * seed,
                        }
                    )
                    faith.append(
                        {
                            "method": method,
                            "arch": arch,
                            "image_id": image,
                            "seed": seed,
                            "gap": rng.normal(1.0 if method == "right" else -0.5, 0.1),
                        }
                    )
            within.append({"method": method, "arch": arch, "image_id": "t9", "subset": "train", "pearson": -1.0})
        for image in IMAGES:
            across.append({"method": method, "image_id": image, "arch_a": "a", "arch_b": "b", "pearson": r / 2})
    sanity = pd.DataFrame(
        [
            {
                "method": m,
                "arch": a,
                "model_spearman": s,
                "data_spearman": s,
                "model_pass": s < 0.5,
                "data_pass": s < 0.5,
                "passes": s < 0.5,
            }
            for m, s in (("agree", 0.9), ("right", 0.1))
            for a in ("a", "b")
        ]
    )
    return sanity, pd.DataFrame(faith), pd.DataFrame(within), pd.DataFrame(across), pd.DataFrame(loc)


def test_scores_are_the_means_over_images(stages):
    sanity, faith, within, across, loc = stages
    card = scorecard_table(sanity, faith, within, across, loc, n_boot=200).set_index(["method", "arch"])
    # within: the explanation (test) images only, not the training-pool image t9
    assert card.loc[("agree", "a"), "within_r"] == pytest.approx(0.9 + 0.01 * np.mean(range(4)))
    assert card.loc[("right", "b"), "auroc"] == pytest.approx(0.91)  # seeds averaged per image
    assert card.loc[("agree", "b"), "across_r"] == pytest.approx(0.45)  # arch b appears as arch_b
    by_image = faith[(faith["method"] == "right") & (faith["arch"] == "a")].groupby("image_id")["gap"].mean()
    assert card.loc[("right", "a"), "faithfulness_gap"] == pytest.approx(by_image.mean())
    low, high = card.loc[("right", "a"), ["faithfulness_gap_low", "faithfulness_gap_high"]]
    assert by_image.min() <= low <= by_image.mean() <= high <= by_image.max()
    table = scorecard_display(card.reset_index()).set_index(["method", "arch"])
    assert table.loc[("agree", "a"), "sanity"] == "fail (model, data)" and table.loc[("right", "a"), "sanity"] == "pass"
    # 4 images: the cell prints no CI (the numeric bounds stay beside it)
    assert card.loc[("right", "b"), "auroc_n"] == len(IMAGES) == 4
    assert table.loc[("right", "b"), "auroc"] == "0.91 [n too small]" and table.loc[("right", "b"), "auroc_low"] > 0


def test_agreement_is_the_per_image_correlation(stages):
    _, _, within, _, loc = stages
    loc = loc.copy()
    loc["auroc"] += np.tile(np.repeat(np.linspace(0, 0.05, 4), 2), 4)  # vary with the image
    agreement = consistency_vs_localization(within[within["subset"] == "test"], loc).set_index(["method", "arch"])
    merged = within[(within["method"] == "agree") & (within["subset"] == "test") & (within["arch"] == "a")].merge(
        loc[loc["method"] == "agree"].groupby(["arch", "image_id"])["auroc"].mean().reset_index()
    )
    r = stats.pearsonr(merged["pearson"], merged["auroc"])[0]
    assert agreement.loc[("agree", "a"), "r"] == pytest.approx(r)
    assert agreement.loc[("agree", "a"), "n"] == 4  # images of one architecture: the independent units
    # a control architecture is left out
    assert "b" not in consistency_vs_localization(within, loc, controls=["b"])["arch"].to_numpy()


def test_reading_names_the_consistent_but_wrong_method(stages):
    sanity, faith, within, across, loc = stages
    card = scorecard_table(sanity, faith, within, across, loc, n_boot=200)
    text = scorecard_reading(card, consistency_vs_localization(within[within["subset"] == "test"], loc))
    assert "most consistent across seeds for agree on a" in text
    assert "right on a localizes best" in text or "right on b localizes best" in text
    assert "The most consistent explanations (within-architecture r's CI reaches the best one's) are agree on a" in text
    assert "consistency alone does not identify the right explanation" in text
    # the same point estimates with CIs that overlap: the claim is withdrawn
    vague = card.copy()
    vague["auroc_low"], vague["auroc_high"] = 0.0, 1.0
    hedged = scorecard_reading(vague, consistency_vs_localization(within[within["subset"] == "test"], loc))
    assert "does not identify" not in hedged and "do not show that consistency fails" in hedged
    assert "pass: right on a and right on b" in text and "fail (model, data): agree on a and agree on b" in text
    gaps = card.set_index(["method", "arch"]).loc[[("right", "a"), ("right", "b")], "faithfulness_gap"].to_numpy()
    assert f"in rating units) for right on a ({gaps[0]:.2f}) and right on b ({gaps[1]:.2f})." in text
    # without ground truth the text says so instead of guessing
    blind = scorecard_reading(scorecard_table(sanity, faith, within, across, None, n_boot=200))
    assert "cannot be read from these data" in blind and "AUROC" not in blind


def test_counterfactual_agreement_column_and_the_cue_use_sentences(stages):
    """cf_agreement: seeds averaged per image, then images; the reading names the maps whose CI
    is above 0 (and below), and says from Table 10's CIs whether the heads use the cues."""
    sanity, faith, within, across, loc = stages
    rows = []
    for method, level in (("agree", -0.6), ("right", 0.7)):
        for arch in ("a", "b"):
            for k, image in enumerate(IMAGES):
                for seed in (0, 1):
                    value = level + 0.05 * k + 0.1 * seed
                    rows.append(
                        {"method": method, "arch": arch, "image_id": image, "seed": seed, "cf_agreement": value}
                    )
            # an image where the rank r is undefined (one region): it does not count
            rows.append({"method": method, "arch": arch, "image_id": "i5", "seed": 0, "cf_agreement": np.nan})
    cf = pd.DataFrame(rows)
    card = scorecard_table(sanity, faith, within, across, loc, n_boot=200, counterfactual=cf)
    by = card.set_index(["method", "arch"])
    assert by.loc[("right", "a"), "cf_agreement"] == pytest.approx(0.7 + 0.05 * 1.5 + 0.05)
    assert by.loc[("agree", "b"), "cf_agreement_high"] < 0 < by.loc[("right", "b"), "cf_agreement_low"]
    assert by.loc[("right", "a"), "cf_agreement_images"] == 4  # the image without a rank r does not count
    table = scorecard_display(card).set_index(["method", "arch"])
    assert table.loc[("right", "a"), "cf_agreement"] == "0.82 [n too small]"  # 4 images with a rank r
    variance = pd.DataFrame(
        [
            {"arch": "a", "kind": "mean", "r2": 0.7, "r2_low": 0.6, "r2_high": 0.8, "images": 30},
            {"arch": "b", "kind": "mean", "r2": 0.1, "r2_low": 0.02, "r2_high": 0.3, "images": 30},
            {"arch": "a", "kind": "variant", "r2": 0.9, "r2_low": 0.8, "r2_high": 0.95, "images": 30},
        ]
    )
    text = scorecard_reading(card, None, variance)
    assert "(mean over variants [95% CI]) of 0.70 [0.60, 0.80] on a (30 images) and 0.10 [0.02, 0.30] on b (30" in text
    assert "The cues carry most of it (CI above 0.5) on a; less than half (CI below 0.5) on b." in text
    cells = by.loc[[("right", "a"), ("right", "b")], "cf_agreement"].to_numpy()
    assert f"(CI above 0) for right on a ({cells[0]:.2f}) and right on b ({cells[1]:.2f})" in text
    assert "maps order them in reverse (CI below 0) for agree on a and agree on b." in text
    # no CI on either side of 0.5: the share is reported, nothing is claimed
    unsure = scorecard_reading(card, None, variance.assign(r2_low=0.3, r2_high=0.7))
    assert "The cues carry" not in unsure and "Do the heads use the planted cues?" in unsure
    # without counterfactuals (a table dataset) neither sentence appears
    plain = scorecard_reading(scorecard_table(sanity, faith, within, across, loc, n_boot=200))
    assert "model-grounded" not in plain and "planted cues?" not in plain


CONTROL = "random_x"


@pytest.fixture
def with_control(stages):
    """The stages plus a control architecture that scores best on everything: AUROC 0.95,
    rank r 0.9, gap 2.0, within r 0.99, and across r 0.95 with both trained backbones."""
    sanity, faith, within, across, loc = stages
    sanity = pd.concat([sanity, sanity[sanity["arch"] == "a"].assign(arch=CONTROL)], ignore_index=True)
    faith = pd.concat([faith, faith[faith["arch"] == "a"].assign(arch=CONTROL, gap=2.0)], ignore_index=True)
    within = pd.concat([within, within[within["arch"] == "a"].assign(arch=CONTROL, pearson=0.99)], ignore_index=True)
    loc = pd.concat([loc, loc[loc["arch"] == "a"].assign(arch=CONTROL, auroc=0.95)], ignore_index=True)
    extra = [
        {"method": m, "image_id": i, "arch_a": t, "arch_b": CONTROL, "pearson": 0.95}
        for m in ("agree", "right")
        for i in IMAGES
        for t in ("a", "b")
    ]
    across = pd.concat([across, pd.DataFrame(extra)], ignore_index=True)
    cf = loc.rename(columns={"auroc": "cf_agreement"}).assign(cf_agreement=lambda d: d["cf_agreement"] - 0.05)
    return sanity, faith, within, across, loc, cf


def test_the_control_is_the_null_and_never_a_finding(with_control):
    """A scorecard whose control is best on every score names it only as the control."""
    sanity, faith, within, across, loc, cf = with_control
    card = scorecard_table(sanity, faith, within, across, loc, n_boot=200, counterfactual=cf, controls=[CONTROL])
    agreement = consistency_vs_localization(within[within["subset"] == "test"], loc, controls=[CONTROL])
    pairs = across_pairs(across, [CONTROL], n_boot=200)
    text = scorecard_reading(card, agreement, None, pairs)
    assert CONTROL not in text.replace(control_phrase(card), "")
    assert "An untrained network's maps find the cues too" in text
    # every trained map localizes worse than the control: none is claimed better
    assert "no trained map localizes the planted cues better than the control" in text
    # rank r above 0 that the control matches is said to be no evidence, never claimed
    assert "no trained map orders the cue regions better than the control" in text
    assert "The rank r alone has its CI above 0 for agree on a (0.26), agree on b (0.26), right on a (0.86) and" in text
    # Table 9's across r of a trained backbone averages its trained partners only
    by = card.set_index(["method", "arch"])
    assert by.loc[("agree", "a"), "across_r"] == pytest.approx(0.45)
    assert by.loc[("agree", CONTROL), "across_r"] == pytest.approx(0.95)
    assert set(pairs.loc[pairs["pair"] == "trained", "arch_b"]) == {"b"}
    assert "agree r = 0.45 [n too small] (a–b, 4 images)" in text  # 4 images: no CI printed
    assert bool(by.loc[("agree", CONTROL), "control"]) and not by.loc[("agree", "a"), "control"]


def test_paired_differences_from_the_control(with_control):
    """auroc_vs_control: per image (seeds averaged) trained minus control, mean and bootstrap CI."""
    sanity, faith, within, across, loc, cf = with_control
    loc = loc.copy()
    loc.loc[loc["arch"] == "b", "auroc"] += np.tile(np.repeat([0.0, 0.1, 0.2, 0.3], 2), 2)
    card = scorecard_table(sanity, faith, within, across, loc, n_boot=500, counterfactual=cf, controls=[CONTROL])
    by = card.set_index(["method", "arch"])
    per_image = loc.groupby(["method", "arch", "image_id"])["auroc"].mean()
    difference = per_image.loc[("right", "b")] - per_image.loc[("right", CONTROL)]
    assert by.loc[("right", "b"), "auroc_vs_control"] == pytest.approx(difference.mean())
    assert difference.min() <= by.loc[("right", "b"), "auroc_vs_control_low"] <= difference.mean()
    assert by.loc[("right", "b"), "auroc_vs_control_images"] == 4
    assert np.isnan(by.loc[("right", CONTROL), "auroc_vs_control"])  # the control is not compared with itself
    gap = faith.groupby(["method", "arch", "image_id"])["gap"].mean()
    assert by.loc[("agree", "a"), "faithfulness_gap_vs_control"] == pytest.approx(
        (gap.loc[("agree", "a")] - gap.loc[("agree", CONTROL)]).mean()
    )
    table = scorecard_display(card).set_index(["method", "arch"])
    assert table.loc[("right", CONTROL), "auroc_vs_control"] == "—"


def test_relations_are_worded_from_their_intervals(stages):
    sanity, faith, within, across, loc = stages
    agreement = pd.DataFrame(
        [
            {"method": "m", "arch": "a", "n": 30, "r": 0.05, "r_low": -0.3, "r_high": 0.4, "p": 0.79},
            {"method": "m", "arch": "b", "n": 30, "r": 0.6, "r_low": 0.3, "r_high": 0.8, "p": 0.0004},
        ]
    )
    card = scorecard_table(sanity, faith, within, across, loc, n_boot=200)
    text = scorecard_reading(card, agreement)
    assert "m on a r = 0.05 [-0.30, 0.40] (n = 30 images, p = 0.79)" in text
    assert (
        "Over these 2 tests (each CI uncorrected for the others): no detectable relation (CI covers 0) for m on a;"
        in text
    )
    assert "a relation (CI excludes 0) for m on b." in text


def test_headline_counts_what_the_trained_rows_earn_against_the_control(with_control):
    sanity, faith, within, across, loc, cf = with_control
    card = scorecard_table(sanity, faith, within, across, loc, n_boot=200, counterfactual=cf, controls=[CONTROL])
    line = scorecard_headline(card)
    trained = card[~card["control"]]
    consistent = int((trained["within_r_low"] > 0.5).sum())
    assert line.startswith(f"Of the 4 trained method × backbone rows, with {control_phrase(card)} as the null: ")
    assert f"{consistent} consistent across seeds" in line and "0 localize the planted cues better" in line
    # Table 9 as written (the display frame) reads the same
    assert scorecard_headline(scorecard_display(card)) == line
