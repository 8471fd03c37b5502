"""Localization scores on hand-made maps with known answers, against scikit-learn, and the
localization table built from them."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.metrics import roc_auc_score

from authxai.localization import (
    cue_mask,
    energy_in_mask,
    localization_per_map,
    localization_scores,
    localization_summary,
    localization_table,
    maps_to_score,
    mask_auroc,
    pointing_game,
    to_mask_grid,
)


@pytest.fixture
def mask() -> np.ndarray:
    mask = np.zeros((16, 16), dtype=bool)
    mask[4:8, 10:14] = True  # 16 of 256 pixels
    return mask


def test_a_map_equal_to_the_mask_scores_perfectly(mask):
    assert localization_scores(mask.astype(float), mask) == {"auroc": 1.0, "energy": 1.0, "pointing": 1.0}


def test_the_inverted_mask_scores_zero(mask):
    inverted = (~mask).astype(float)
    assert mask_auroc(inverted, mask) == 0.0
    assert energy_in_mask(inverted, mask) == 0.0
    assert pointing_game(inverted, mask) == 0.0


def test_a_flat_map_scores_chance(mask):
    flat = np.ones(mask.shape)
    assert mask_auroc(flat, mask) == 0.5
    assert energy_in_mask(flat, mask) == pytest.approx(16 / 256)
    assert pointing_game(flat, mask) == pytest.approx(16 / 256)  # every pixel is a maximum


def test_the_sign_of_the_map_does_not_matter(mask):
    rng = np.random.default_rng(0)
    saliency = rng.normal(size=mask.shape) + 3 * mask
    assert localization_scores(-saliency, mask) == localization_scores(saliency, mask)


def test_auroc_equals_scikit_learn_on_a_noisy_map(mask):
    rng = np.random.default_rng(1)
    saliency = np.round(rng.normal(size=mask.shape) + mask, 1)  # rounding makes ties
    assert mask_auroc(saliency, mask) == pytest.approx(roc_auc_score(mask.ravel(), np.abs(saliency).ravel()))


def test_pointing_game_tolerance_counts_a_near_miss(mask):
    saliency = np.zeros(mask.shape)
    saliency[8, 11] = 1.0  # one row below the cue
    assert pointing_game(saliency, mask) == 0.0
    assert pointing_game(saliency, mask, tolerance=1) == 1.0
    saliency[8, 11], saliency[9, 11] = 0.0, 1.0  # two rows below
    assert pointing_game(saliency, mask, tolerance=1) == 0.0
    assert pointing_game(saliency, mask, tolerance=2) == 1.0


def test_a_coarse_map_is_compared_on_the_mask_grid(mask):
    coarse = np.zeros((8, 8))
    coarse[2:4, 5:7] = 1.0  # the cells of 2x2 pixels that make up the cue
    fine = to_mask_grid(coarse, mask.shape)
    assert fine.shape == mask.shape
    # bilinear on pixel centres: the peak sits on the cue's centre, the ramp spills one pixel
    assert set(map(tuple, np.argwhere(fine == 1.0))) == {(5, 11), (5, 12), (6, 11), (6, 12)}
    assert pointing_game(coarse, mask) == 1.0
    assert mask_auroc(coarse, mask) > 0.95 and energy_in_mask(coarse, mask) > 0.7


def test_masks_without_cue_or_background_are_refused():
    with pytest.raises(ValueError, match="both cue and background"):
        mask_auroc(np.ones((4, 4)), np.zeros((4, 4)))


def _maps(mask: np.ndarray) -> pd.DataFrame:
    """Two architectures × two seeds on two cued images and one image without a cue: arch
    ``good`` maps the cue (plus noise), arch ``bad`` maps its complement."""
    rng = np.random.default_rng(4)
    rows = []
    for image in ("a", "b", "empty"):
        for seed in (0, 1):
            noise = 0.1 * rng.random(mask.shape)
            rows.append({"arch": "good", "seed": seed, "image_id": image, "regime": "test", "map": mask + noise})
            rows.append({"arch": "bad", "seed": seed, "image_id": image, "regime": "test", "map": ~mask + noise})
    return pd.DataFrame(rows)


def test_per_map_scores_skip_images_without_a_cue_and_keep_identifiers(mask):
    maps = maps_to_score(_maps(mask))
    masks = {"a": mask, "b": mask, "empty": np.zeros_like(mask)}
    per_map = localization_per_map(maps, masks)
    assert set(per_map["image_id"]) == {"a", "b"}
    # 2 archs × 2 images × (2 seeds + 1 prototype)
    assert len(per_map) == 12 and set(per_map["kind"]) == {"variant", "prototype"}
    good, bad = per_map[per_map["arch"] == "good"], per_map[per_map["arch"] == "bad"]
    assert (good["auroc"] == 1.0).all() and (bad["auroc"] == 0.0).all()
    assert per_map["mask_fraction"].eq(16 / 256).all()


def test_prototypes_are_the_mean_map_over_seeds(mask):
    variants = _maps(mask)
    maps = maps_to_score(variants)
    proto = maps[(maps["kind"] == "prototype") & (maps["arch"] == "good") & (maps["image_id"] == "a")]["map"].iloc[0]
    seeds = variants[(variants["arch"] == "good") & (variants["image_id"] == "a")]["map"]
    np.testing.assert_allclose(proto, np.mean(np.stack(seeds.to_list()), axis=0))


def test_summary_averages_seeds_per_image_before_bootstrapping_images(mask):
    per_map = pd.DataFrame(
        {
            "arch": "x",
            "image_id": ["a", "a", "b", "b"],
            "auroc": [0.6, 0.8, 0.9, 0.9],
            "energy": 0.5,
            "pointing": [0.0, 1.0, 1.0, 1.0],
            "mask_fraction": 0.1,
        }
    )
    row = localization_summary(per_map, ["arch"], n_boot=500).iloc[0]
    assert row["images"] == 2
    assert row["auroc"] == pytest.approx((0.7 + 0.9) / 2)
    # two images: the bootstrap means are 0.7, 0.8 or 0.9, so the CI spans at most [0.7, 0.9]
    assert 0.7 <= row["auroc_low"] <= row["auroc"] <= row["auroc_high"] <= 0.9
    assert row["energy_low"] == row["energy_high"] == 0.5 and row["energy_chance"] == pytest.approx(0.1)
    table = localization_table(row.to_frame().T.assign(method="m", regime="test", kind="variant"))
    # two images: the cell prints no CI (the numeric columns keep the bootstrap's bounds)
    assert table.loc[0, "energy"] == "0.50 [n too small]" and table.loc[0, "energy_low"] == 0.5


def test_cue_mask_reads_the_bit_field_png(tmp_path):
    bits = np.zeros((8, 8), np.uint8)
    bits[1, 2], bits[3, 4] = 1, 4  # cue kinds 0 and 2
    Image.fromarray(bits).save(tmp_path / "m.png")
    np.testing.assert_array_equal(cue_mask(tmp_path / "m.png"), bits > 0)
