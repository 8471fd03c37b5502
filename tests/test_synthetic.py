"""The planted-cue study: determinism, ground-truth masks, metadata, calibration."""

import numpy as np
import pandas as pd
import pytest

from authxai.data import synthetic as syn
from authxai.psychometrics import mos_from_ratings, reliability_table, zscore_ratings

SMALL = syn.StudySettings(n_images=40, image_size=96, seed=5)


def test_plan_is_deterministic_per_seed():
    a_img, a_rat = syn.plan_study(SMALL)
    b_img, b_rat = syn.plan_study(SMALL)
    pd.testing.assert_frame_equal(a_img, b_img)
    pd.testing.assert_frame_equal(a_rat, b_rat)
    c_img, _ = syn.plan_study(syn.StudySettings(n_images=40, image_size=96, seed=6))
    assert not a_img["latent_authenticity"].equals(c_img["latent_authenticity"])


def test_rendering_is_deterministic_and_masks_match_the_cues():
    images, _ = syn.plan_study(SMALL)
    first = list(syn.iter_rendered(images.head(12), SMALL))
    again = list(syn.iter_rendered(images.head(12), SMALL))
    for (iid, img, cue), (_, img2, cue2) in zip(first, again):
        np.testing.assert_array_equal(img, img2)
        np.testing.assert_array_equal(cue, cue2)
        kinds = images.set_index("image_id").loc[iid, "cue_kinds"]
        planted = {k for k in kinds.split(";") if k}
        painted = {kind for bit, kind in enumerate(syn.ARTIFACT_KINDS) if (cue >> bit & 1).any()}
        assert painted == planted
        assert img.shape == (96, 96, 3) and img.dtype == np.uint8


def test_artifacts_change_pixels_inside_their_mask():
    images, _ = syn.plan_study(syn.StudySettings(n_images=200, image_size=96, seed=1))
    row = images[(images["cue_count"] == 1) & (images["degradation"] < 0.5)].iloc[0]
    clean = row.copy()
    kind = row["cue_kinds"]
    clean[f"{kind}_severity"] = 0.0
    for r in (row, clean):
        r["degradation"] = 0.0
    img, cue = syn.render_image(row, 96, False)
    ref, _ = syn.render_image(clean, 96, False)
    diff = np.abs(img.astype(float) - ref.astype(float)).mean(axis=2)
    inside, outside = diff[cue > 0].mean(), diff[cue == 0].mean()
    assert inside > 5 * max(outside, 0.5), (kind, inside, outside)


def test_study_metadata_shape():
    images, ratings = syn.plan_study(syn.StudySettings())
    assert len(syn.ARTIFACT_KINDS) >= 5 and images["generator"].nunique() == 6
    non_realistic = [(c, h) in set(syn.NON_REALISTIC_COMBOS) for c, h in zip(images.category, images.challenge)]
    assert np.mean(non_realistic) == pytest.approx(0.43, abs=0.05)  # paper: 1032 / 2400 = 0.43
    assert ratings["participant"].nunique() == 25
    assert set(ratings["rating"]) == {1, 2, 3, 4, 5}
    assert images["cue_count"].max() <= 3
    # generators differ in their artifact propensities
    assert images.groupby("generator")["cue_count"].mean().std() > 0.2


def test_default_study_is_calibrated_to_the_paper():
    images, ratings = syn.plan_study(syn.StudySettings())
    kept_ids = {
        i
        for i, c, h in zip(images.image_id, images.category, images.challenge)
        if (c, h) not in set(syn.NON_REALISTIC_COMBOS)
    }
    z = zscore_ratings(ratings.rename(columns={"rating": "raw"}))
    z = z[z["image_id"].isin(kept_ids)]
    rel = reliability_table(z).set_index("dimension")
    assert 0.40 <= rel.loc["authenticity", "split_half_r"] <= 0.60
    mos = mos_from_ratings(z)
    qa = np.corrcoef(mos["mos_quality"], mos["mos_authenticity"])[0, 1]
    assert 0.75 <= qa <= 0.90
