"""The side-by-side of scorecard conclusions reads each claim's CI the way the paragraph does."""

import pandas as pd
import pytest

from authxai.errors import InputError
from authxai.robustness import run_conclusions, scorecard_conclusions, side_by_side


def card_row(method, arch, within, auroc, cf, gap, sanity="pass"):
    """A Table 9 row from (mean, low, high) triples."""
    row = {"method": method, "arch": arch, "sanity": sanity}
    for score, (mean, low, high) in {
        "within_r": within,
        "auroc": auroc,
        "cf_agreement": cf,
        "faithfulness_gap": gap,
    }.items():
        row.update({f"{score}_mean": mean, f"{score}_low": low, f"{score}_high": high})
    return row


CARD = pd.DataFrame(
    [
        # the most consistent map, a poor localizer: its AUROC CI lies below the best one's
        card_row("mpm", "efficientnet_lite0", (0.9, 0.85, 0.95), (0.55, 0.52, 0.58), (0.1, -0.1, 0.3), (1, 0.5, 1.5)),
        # tied on consistency (CI reaches 0.85), the best localizer
        card_row("lime", "efficientnet_lite0", (0.8, 0.7, 0.86), (0.7, 0.65, 0.75), (0.4, 0.2, 0.6), (1, -0.2, 2)),
        card_row("gradcam", "random_lite0", (0.2, 0.1, 0.3), (0.5, 0.45, 0.55), (0.0, -0.2, 0.2), (0, -1, 1), "fail"),
    ]
)
VARIANCE = pd.DataFrame({"arch": ["efficientnet_lite0", "random_lite0"], "r2_low": [0.6, -0.01], "r2_high": [0.9, 0.2]})


def test_conclusions_follow_the_confidence_intervals():
    held = scorecard_conclusions(CARD, VARIANCE)
    assert held["within-architecture r: CI above 0.5"] == "mpm lite0, lime lite0"
    assert held["cue AUROC: CI above 0.5"] == "mpm lite0, lime lite0"
    assert held["best localizer (highest cue AUROC)"] == "lime lite0"
    assert held["counterfactual rank r: CI above 0"] == "lime lite0"
    assert held["faithfulness gap: CI above 0"] == "mpm lite0"
    assert held["sanity checks passed"] == "mpm lite0, lime lite0"
    assert held["a most consistent map localizes worse than the best (AUROC CIs apart)"] == "mpm lite0"
    assert held["the heads use the cues: R² CI above 0"] == "lite0"
    assert held["the cues carry most of it: R² CI above 0.5"] == "lite0"


def test_overlapping_intervals_claim_nothing_and_all_rows_say_all():
    overlapping = CARD.assign(auroc_low=0.51, auroc_high=0.8, sanity="pass")
    held = scorecard_conclusions(overlapping)
    assert held["a most consistent map localizes worse than the best (AUROC CIs apart)"] == "none"
    assert held["sanity checks passed"] == "all 3"
    assert "the heads use the cues: R² CI above 0" not in held  # no Table 10: no claim


def test_side_by_side_of_two_runs(tmp_path):
    for run, card in (("a", CARD), ("b", CARD.assign(cf_agreement_low=0.1))):
        (tmp_path / run / "tables").mkdir(parents=True)
        card.to_csv(tmp_path / run / "tables" / "table9_scorecard.csv", index=False)
    table = side_by_side({"default": tmp_path / "a", "full": tmp_path / "b"})
    assert list(table.columns) == ["default", "full"]
    assert table.loc["counterfactual rank r: CI above 0"].tolist() == ["lime lite0", "all 3"]
    with pytest.raises(InputError, match="table9_scorecard.csv is missing"):
        run_conclusions(tmp_path / "nowhere")
