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


# --------------------------------------------------------------------------- leaving artifacts out

#: Beyond this distance from every pixel a left-out artifact changed before the global
#: degradation, the counterfactual rendering equals the full one bit for bit: JPEG codes 16 × 16
#: blocks (4:2:0 chroma) independently, 16·√2 ≈ 23 px, plus the blur and chroma upsampling.
EXACT_BEYOND_PX = 32


def _cued_rows(n: int = 160, size: int = 128, seed: int = 2) -> tuple[pd.DataFrame, set]:
    images, _ = syn.plan_study(syn.StudySettings(n_images=n, image_size=size, seed=seed))
    return images[images["cue_count"] > 0].head(40), set(syn.NON_REALISTIC_COMBOS)


def _bit(cue: np.ndarray, kind: str) -> np.ndarray:
    return (cue >> syn.ARTIFACT_KINDS.index(kind) & 1).astype(bool)


def test_leaving_out_a_kind_the_image_does_not_have_renders_the_full_image_bit_for_bit():
    rows, combos = _cued_rows()
    for _, row in rows.head(10).iterrows():
        nr = (row["category"], row["challenge"]) in combos
        full, cue = syn.render_image(row, 128, nr)
        absent = sorted(set(syn.ARTIFACT_KINDS) - set(syn.planted_kinds(row)))
        for without in (absent[0], set(absent), None, ()):
            img, mask = syn.render_image(row, 128, nr, without=without)
            np.testing.assert_array_equal(img, full)
            np.testing.assert_array_equal(mask, cue)
    with pytest.raises(ValueError, match="unknown artifact kind"):
        syn.render_image(rows.iloc[0], 128, False, without="smaer")


def test_leaving_out_an_artifact_changes_only_its_own_region_and_its_bit():
    from scipy import ndimage

    rows, combos = _cued_rows()
    shares, lasts = [], 0
    for _, row in rows.iterrows():
        nr = (row["category"], row["challenge"]) in combos
        full, cue = syn.render_image(row, 128, nr)
        kinds = syn.planted_kinds(row)
        assert {k for k in syn.ARTIFACT_KINDS if _bit(cue, k).any()} == set(kinds)
        for i, kind in enumerate(kinds):
            img, mask = syn.render_image(row, 128, nr, without=kind)
            # its bit is gone, every other cue's mask is the same
            np.testing.assert_array_equal(mask, cue & ~np.uint8(1 << syn.ARTIFACT_KINDS.index(kind)))
            diff = np.abs(full.astype(float) - img).sum(axis=2)
            assert diff.sum() > 0, (row["image_id"], kind)
            # Artifacts painted after it act on the image without it: before the degradation
            # only its region and theirs can differ; far from those, every pixel is the same.
            touched = np.logical_or.reduce([_bit(cue, k) for k in kinds[i:]])
            far = ndimage.distance_transform_edt(~touched) > EXACT_BEYOND_PX
            assert far.any() and not diff[far].any(), (row["image_id"], kind)
            if i == len(kinds) - 1:  # painted last: the difference is its own region's
                near = ndimage.binary_dilation(_bit(cue, kind), iterations=8)
                shares.append(diff[near].sum() / diff.sum())
                lasts += 1
    assert lasts >= 30 and min(shares) > 0.9, sorted(shares)[:3]
    # leaving out every kind paints none: the clean photo, degraded as the full image
    row = rows.iloc[0]
    nr = (row["category"], row["challenge"]) in combos
    clean, mask = syn.render_image(row, 128, nr, without=syn.ARTIFACT_KINDS)
    assert not mask.any()
    blank = row.copy()
    for kind in syn.ARTIFACT_KINDS:
        blank[f"{kind}_severity"] = 0.0
    np.testing.assert_array_equal(clean, syn.render_image(blank, 128, nr)[0])
