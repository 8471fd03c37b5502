"""Counterfactual ground truth: a head built to use one artifact gets that artifact's region as
its truth; rank agreement, truth weights and variance share against hand and numpy values."""

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from authxai.counterfactual import (
    ALL,
    agreement_per_map,
    check_rendering,
    counterfactual_truth,
    cue_regions,
    image_counterfactuals,
    region_agreement,
    variance_share,
    variance_share_table,
    view_regions,
)
from authxai.data import synthetic as syn
from authxai.errors import InputError
from authxai.models.features import IMAGENET_MEAN, IMAGENET_STD, load_image, model_input
from authxai.statistics import bootstrap_ci

SIZE = 128


def _to_input(image: np.ndarray) -> torch.Tensor:
    return model_input(image, SIZE, SIZE)


class CheckerboardDetector(torch.nn.Module):
    """A "head" that relies on the checkerboard artifact only: per block of each checkerboard
    period (4, 6, 8 px), how much of the block's grey-level variance the checkerboard's sign
    pattern explains (r²), gated by the modulation's amplitude; summed over blocks. Natural
    texture, smears, warps, colour bleed and pasted regions are not that pattern, so they
    leave it near 0. Two variants: the score and 3× it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
        grey = (x * std + mean).mean(dim=1, keepdim=True)  # back to [0, 1] pixels
        yy, xx = torch.meshgrid(torch.arange(grey.shape[-2]), torch.arange(grey.shape[-1]), indexing="ij")
        score = torch.zeros(len(x))
        for period in (4, 6, 8):
            half = period // 2
            sign = (((yy // half + xx // half) % 2) * 2.0 - 1.0)[None, None]
            level = F.avg_pool2d(grey, period)
            along = F.avg_pool2d(grey * sign, period)
            variance = F.avg_pool2d(grey**2, period) - level**2
            explained = along**2 / (variance + 1e-6)
            amplitude = along.abs() / (level + 0.05)
            score = score + (F.relu(explained - 0.6) * F.relu(amplitude - 0.03)).flatten(1).sum(1)
        return torch.stack([score, 3 * score], dim=1)


def test_a_head_that_relies_on_one_artifact_gets_that_artifacts_region_as_its_truth():
    """On images with the checkerboard and other artifacts, the detector's truth puts (nearly)
    all weight on the checkerboard's region. Images where another cue overlaps the
    checkerboard are left out: painted over it, that cue hides checkerboard blocks, so removing
    it does move the detector (a real reliance, not an error of the truth). Images where the
    degradation blurred the pattern away move the detector by nothing at all (no reliance to
    locate): those are told apart by the effect of removing every cue, which names no cue."""
    images, _ = syn.plan_study(syn.StudySettings(n_images=600, image_size=SIZE, seed=4))
    candidates = images[(images["checkerboard_severity"] > 0) & (images["cue_count"] >= 2)]
    model = CheckerboardDetector()
    weights, silent = [], 0
    for _, row in candidates[candidates["degradation"] < 0.5].iterrows():
        _, cue = syn.render_image(row, SIZE, syn.is_non_realistic(row))
        regions = cue_regions(cue)
        if any((regions["checkerboard"] & mask).any() for kind, mask in regions.items() if kind != "checkerboard"):
            continue
        table, _ = image_counterfactuals(model, row, SIZE, syn.is_non_realistic(row), _to_input, [0, 1])
        for _, sub in table.groupby("seed"):
            effects = dict(zip(sub["artifact"], sub["effect"]))
            if abs(effects.pop(ALL)) < 0.05:
                silent += 1
                continue
            truth, weight = counterfactual_truth(regions, effects)
            weights.append(weight["checkerboard"])
            # the truth map is the weights painted on the regions
            assert truth[regions["checkerboard"]] == pytest.approx(weight["checkerboard"])
            assert not truth[~np.logical_or.reduce(list(regions.values()))].any()
            # the truth itself, as a map, agrees with the truth (where no two cues overlap: a
            # shared pixel raises both regions' means; and the effects must differ)
            disjoint = sum(m.sum() for m in regions.values()) == np.logical_or.reduce(list(regions.values())).sum()
            if disjoint and len({round(abs(v), 6) for v in effects.values()}) == len(effects):
                assert region_agreement(truth, regions, effects) == pytest.approx(1.0)
    assert len(weights) >= 2 * 12 and silent <= len(weights) / 4, (len(weights), silent)
    assert min(weights) > 0.9, sorted(weights)[:3]
    # and the detector does not respond to images without the checkerboard
    others = images[(images["checkerboard_severity"] == 0) & (images["cue_count"] >= 2)].head(5)
    for _, row in others.iterrows():
        table, _ = image_counterfactuals(model, row, SIZE, syn.is_non_realistic(row), _to_input, [0, 1])
        assert table["effect"].abs().max() < 0.05  # below what counts as a response above


class ChannelMeans(torch.nn.Module):
    """Two variants of a tiny pixel model: weighted channel means."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        means = x.mean(dim=(2, 3))
        return torch.stack([means @ torch.tensor([1.0, -2.0, 0.5]), means @ torch.tensor([0.0, 3.0, 1.0])], dim=1)


def test_counterfactual_rows_are_the_model_on_the_renders_without_each_artifact():
    images, _ = syn.plan_study(syn.StudySettings(n_images=80, image_size=SIZE, seed=1))
    model = ChannelMeans()
    by_count = {n: images[images["cue_count"] == n].iloc[0] for n in (0, 1, 2)}
    for count, row in by_count.items():
        nr = syn.is_non_realistic(row)
        table, full = image_counterfactuals(model, row, SIZE, nr, _to_input, [7, 3])
        reference, cue = syn.render_image(row, SIZE, nr)
        np.testing.assert_array_equal(full, reference)
        kinds = syn.planted_kinds(row)
        assert set(table["artifact"]) == {*kinds, ALL} and list(table["seed"].unique()) == [7, 3]
        f_full = model(_to_input(reference)[None])[0].numpy()
        for row_out in table.itertuples():
            v = [7, 3].index(row_out.seed)
            without = kinds if row_out.artifact == ALL else row_out.artifact
            image, _ = syn.render_image(row, SIZE, nr, without=without)
            f_without = model(_to_input(image)[None])[0].numpy()
            assert row_out.prediction == pytest.approx(f_full[v], abs=1e-5)
            assert row_out.prediction_without == pytest.approx(f_without[v], abs=1e-5)
            assert row_out.effect == pytest.approx(row_out.prediction - row_out.prediction_without, abs=1e-12)
            bits = cue if row_out.artifact == ALL else cue & (1 << syn.ARTIFACT_KINDS.index(row_out.artifact))
            assert row_out.region_px == int((bits > 0).sum())
        if count == 0:  # nothing to remove: no effect, no region
            assert (table["effect"] == 0).all() and (table["region_px"] == 0).all()
        if count == 1:  # removing all is removing the one
            one = table.set_index(["artifact", "seed"])["effect"]
            assert one.loc[ALL].to_list() == one.loc[kinds[0]].to_list()


def test_model_input_of_a_rendering_is_load_image_of_its_file(tmp_path):
    row = syn.plan_study(syn.StudySettings(n_images=5, image_size=SIZE, seed=0))[0].iloc[0]
    image, _ = syn.render_image(row, SIZE, False)
    Image.fromarray(image).save(tmp_path / "a.png")
    for resize, crop in ((SIZE, SIZE), (80, 64)):
        torch.testing.assert_close(model_input(image, resize, crop), load_image(tmp_path / "a.png", resize, crop))
    check_rendering(image, tmp_path / "a.png")  # the same pixels: no complaint
    # float rounding across processes: a few levels on ~1% of the pixels pass
    jitter = image.astype(np.int16)
    jitter.reshape(-1)[::97] += 4
    check_rendering(np.clip(jitter, 0, 255).astype(np.uint8), tmp_path / "a.png")
    other = np.roll(image, 5, axis=1)  # another rendering (artifacts elsewhere)
    with pytest.raises(InputError, match=r"a\.png: differs from the rendering of its plan .* synthesize_study"):
        check_rendering(other, tmp_path / "a.png")


# ----------------------------------------------------------------- truth and agreement by hand


def _regions() -> dict[str, np.ndarray]:
    """A 6 × 6 image: cue a in the top-left 2 × 2, cue b in the bottom-right 2 × 2."""
    a, b = np.zeros((6, 6), bool), np.zeros((6, 6), bool)
    a[:2, :2] = True
    b[4:, 4:] = True
    return {"smear": a, "warp": b}


def test_truth_weights_each_region_by_its_share_of_the_effects():
    regions = _regions()
    truth, weights = counterfactual_truth(regions, {"smear": -3.0, "warp": 1.0, "checkerboard": 5.0})
    assert weights == pytest.approx({"smear": 0.75, "warp": 0.25})  # kinds without a region are left out
    assert truth[0, 0] == 0.75 and truth[5, 5] == 0.25 and truth[3, 3] == 0.0
    overlapping = {"smear": regions["smear"], "warp": regions["smear"] | regions["warp"]}
    truth, _ = counterfactual_truth(overlapping, {"smear": 1.0, "warp": 1.0})
    assert truth[0, 0] == 1.0 and truth[5, 5] == 0.5  # a pixel in both cues carries both weights
    truth, weights = counterfactual_truth(regions, {"smear": 0.0, "warp": 0.0})
    assert not truth.any() and weights == {"smear": 0.0, "warp": 0.0}


def test_region_agreement_equals_hand_computed_rank_correlations():
    regions = _regions()
    effects = {"smear": 3.0, "warp": -1.0}  # |effect| ranks: smear > warp
    on_most_used = np.zeros((6, 6))
    on_most_used[:2, :2], on_most_used[4:, 4:] = 5.0, 1.0
    assert region_agreement(on_most_used, regions, effects) == pytest.approx(1.0)
    # signs do not matter (magnitudes), the region's size does not (mean per pixel)
    assert region_agreement(-on_most_used, regions, effects) == pytest.approx(1.0)
    reversed_map = np.full((6, 6), 5.0)
    reversed_map[:2, :2], reversed_map[4:, 4:] = 0.0, 1.0
    assert region_agreement(reversed_map, regions, effects) == pytest.approx(-1.0)
    # the background is no region: a map bright there and dim on both cues is judged on the cues
    middle = np.full((6, 6), 9.0)
    middle[:2, :2], middle[4:, 4:] = 1.0, 3.0
    assert region_agreement(middle, regions, effects) == pytest.approx(-1.0)
    # three cues: map ranks (1, 3, 2) vs effects (3, 2, 1): rho = 1 - 6 * (4 + 1 + 1) / (3 * 8) = -0.5
    third = np.zeros((6, 6), bool)
    third[:2, 4:] = True
    three = {**regions, "checkerboard": third}
    mixed = np.zeros((6, 6))
    mixed[:2, :2], mixed[4:, 4:], mixed[:2, 4:] = 1.0, 3.0, 2.0
    assert region_agreement(mixed, three, {"smear": 3.0, "warp": 2.0, "checkerboard": 1.0}) == pytest.approx(-0.5)
    # ties: no order among the effects (or the map's means) to agree with
    assert np.isnan(region_agreement(on_most_used, regions, {"smear": 0.0, "warp": 0.0}))
    assert np.isnan(region_agreement(on_most_used, regions, {"smear": 1.0, "warp": 1.0}))
    assert np.isnan(region_agreement(np.ones((6, 6)), regions, effects))
    covering = {"smear": np.ones((6, 6), bool), "warp": np.ones((6, 6), bool)}
    assert np.isnan(region_agreement(on_most_used, covering, effects))
    assert np.isnan(region_agreement(on_most_used, {"smear": regions["smear"]}, {}))  # nothing to rank
    # one cue: nothing to order (against the background it would be cue AUROC's question)
    assert np.isnan(region_agreement(on_most_used, {"warp": regions["warp"]}, {"warp": 0.2}))
    assert np.isnan(region_agreement(on_most_used, regions, {"warp": 0.2, "checkerboard": 1.0}))
    # overlapping cues: the shared pixels count for both regions' means
    a = np.zeros((6, 6), bool)
    a[:3, :3] = True
    b = np.zeros((6, 6), bool)
    b[2:4, 2:4] = True
    saliency = np.zeros((6, 6))
    saliency[2, 2] = 8.0
    saliency[3, 3] = 4.0
    # means: a = 8 / 9, b = 12 / 4 = 3 -> ranks (1, 2) vs effects a 1, b 2
    assert region_agreement(saliency, {"smear": a, "warp": b}, {"smear": 1.0, "warp": 2.0}) == pytest.approx(1.0)
    # a map on a coarser grid is resized to the masks' (bilinear): a 3 × 3 map of a 6 × 6 image
    coarse = np.array([[5.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    assert region_agreement(coarse, regions, effects) == pytest.approx(1.0)


def _random_cue_images(n: int, seed: int) -> list[tuple[dict[str, np.ndarray], dict[str, float]]]:
    """``n`` 24 × 24 images, each with 2 or 3 disjoint cue regions (8-px wide bands of random
    height) and distinct random effects of either sign."""
    rng = np.random.default_rng(seed)
    kinds = syn.ARTIFACT_KINDS[:3]
    images = []
    for _ in range(n):
        regions, effects = {}, {}
        for k, kind in enumerate(kinds[: rng.integers(2, 4)]):
            mask = np.zeros((24, 24), bool)
            top = rng.integers(0, 12)
            mask[top : top + rng.integers(3, 12), 8 * k : 8 * k + 8] = True
            regions[kind], effects[kind] = mask, float(rng.choice([-1, 1]) * rng.uniform(0.1, 3.0))
        images.append((regions, effects))
    return images


def test_a_map_of_the_true_effects_has_rank_r_one_and_a_noise_maps_ci_covers_zero():
    """Known truths over 80 images: the truth map (each cue painted with its reliance) orders the
    cues exactly; a map of noise orders them by chance — its mean r's 95% bootstrap CI over
    images covers 0."""
    images = _random_cue_images(80, seed=0)
    rng = np.random.default_rng(1)
    truth = [region_agreement(counterfactual_truth(r, e)[0], r, e) for r, e in images]
    assert truth == pytest.approx([1.0] * len(images))
    noise = np.array([region_agreement(rng.normal(size=(24, 24)), r, e) for r, e in images])
    assert not np.isnan(noise).any()
    mean, low, high = bootstrap_ci(noise, n_boot=2000, seed=0)
    assert low < 0 < high and abs(mean) < 0.2, (mean, low, high)
    # the background does not count: cues alike on the map, the background dark, is no order
    flat_on_cues = [np.logical_or.reduce(list(r.values())).astype(float) for r, _ in images]
    assert all(np.isnan(region_agreement(m, r, e)) for m, (r, e) in zip(flat_on_cues, images))


def test_agreement_per_map_compares_each_map_with_its_own_variants_effects():
    regions = _regions()
    rows = [
        {"arch": "a", "seed": s, "image_id": "im", "role": "test", "artifact": k, "effect": e}
        for s, effects in ((0, {"smear": 3.0, "warp": 1.0, ALL: 4.0}), (1, {"smear": 0.5, "warp": 2.0, ALL: 2.5}))
        for k, e in effects.items()
    ]
    cf = pd.DataFrame(rows)
    on_smear = np.zeros((6, 6))
    on_smear[:2, :2], on_smear[4:, 4:] = 5.0, 1.0
    maps = pd.DataFrame([{"arch": "a", "seed": s, "image_id": "im", "method": "m", "map": on_smear} for s in (0, 1)])
    out = agreement_per_map(maps, cf, {("a", "im"): regions}).set_index("seed")
    # seed 0 relies most on the smear (rho 1), seed 1 on the warp: the map has them reversed
    assert out.loc[0, "cf_agreement"] == pytest.approx(1.0)
    assert out.loc[1, "cf_agreement"] == pytest.approx(-1.0)
    assert out.loc[0, "top_weight"] == pytest.approx(0.75) and out.loc[1, "top_weight"] == pytest.approx(0.8)
    assert (out["regions"] == 2).all() and (out["method"] == "m").all()
    with pytest.raises(ValueError, match="no counterfactual of"):
        agreement_per_map(maps.assign(seed=5), cf, {("a", "im"): regions})


# ----------------------------------------------------------------- do the heads use the cues?


def test_variance_share_is_the_squared_correlation_and_recovers_a_known_share():
    rng = np.random.default_rng(0)
    background, cues = rng.normal(0, 2.0, 20000), rng.normal(0, 1.0, 20000)
    prediction = background + cues  # the cues carry 1 / (1 + 4) of the variance
    assert variance_share(prediction, cues) == pytest.approx(0.2, abs=0.01)
    few_p, few_e = rng.normal(size=12), rng.normal(size=12)
    assert variance_share(few_p, few_e) == pytest.approx(np.corrcoef(few_p, few_e)[0, 1] ** 2)
    assert np.isnan(variance_share(few_p, np.zeros(12)))  # no cue moves it: no share to speak of
    assert np.isnan(variance_share(np.full(12, 3.0), few_e))


def test_variance_share_table_equals_a_numpy_loop():
    rng = np.random.default_rng(1)
    n_images, seeds, n_boot = 15, [0, 1, 2], 300
    rows = []
    for i in range(n_images):
        cued = i % 5 != 0  # every fifth image has no cue: its effect is 0
        for s in seeds:
            effect = rng.normal(0, 1 + s) if cued else 0.0
            prediction = 50 + effect + rng.normal(0, 1.5)
            for artifact, value in (("smear", effect / 2), (ALL, effect)):
                rows.append(
                    {
                        "arch": "lite",
                        "seed": s,
                        "image_id": f"im{i:02d}",
                        "artifact": artifact,
                        "region_px": 40 if cued else 0,
                        "prediction": prediction,
                        "effect": value,
                    }
                )
    cf = pd.DataFrame(rows)
    cf = cf[(cf["artifact"] == ALL) | (cf["region_px"] > 0)]  # as in the rule's table: no cue, only "all"
    table = variance_share_table(cf, n_boot=n_boot, seed=4)
    everything = cf[cf["artifact"] == ALL]
    p = np.stack([everything[everything["seed"] == s]["prediction"].to_numpy() for s in seeds], axis=1)
    e = np.stack([everything[everything["seed"] == s]["effect"].to_numpy() for s in seeds], axis=1)
    r2 = [np.corrcoef(p[:, v], e[:, v])[0, 1] ** 2 for v in range(3)]
    # the bootstrap by hand: the same resampled images for every variant
    idx = np.random.default_rng(4).integers(0, n_images, size=(n_boot, n_images))
    boot = np.array([[np.corrcoef(p[ix, v], e[ix, v])[0, 1] ** 2 for v in range(3)] for ix in idx])
    variants = table[table["kind"] == "variant"].set_index("seed")
    for v, s in enumerate(seeds):
        assert variants.loc[s, "r2"] == pytest.approx(r2[v])
        assert variants.loc[s, "r2_low"] == pytest.approx(np.nanquantile(boot[:, v], 0.025))
        assert variants.loc[s, "r2_high"] == pytest.approx(np.nanquantile(boot[:, v], 0.975))
        assert variants.loc[s, "prediction_sd"] == pytest.approx(p[:, v].std(ddof=1))
        cued = np.arange(n_images) % 5 != 0
        assert variants.loc[s, "mean_abs_effect"] == pytest.approx(np.abs(e[cued, v]).mean())
    mean = table[table["kind"] == "mean"].iloc[0]
    assert mean["r2"] == pytest.approx(np.mean(r2)) and mean["seed"] == -1 and mean["images"] == n_images
    assert mean["r2_low"] == pytest.approx(np.nanquantile(boot.mean(axis=1), 0.025))
    assert mean["r2_high"] == pytest.approx(np.nanquantile(boot.mean(axis=1), 0.975))
    assert mean["r2_min"] == pytest.approx(min(r2)) and mean["r2_max"] == pytest.approx(max(r2))


def test_cue_regions_reads_the_bit_field():
    bits = np.zeros((4, 4), np.uint8)
    bits[0, 0] = 0b00011  # smear and checkerboard overlap here
    bits[3, 3] = 0b10000  # copy_move
    regions = cue_regions(bits)
    assert set(regions) == {"smear", "checkerboard", "copy_move"}
    assert regions["smear"].sum() == 1 and regions["checkerboard"][0, 0] and regions["copy_move"][3, 3]
    assert set(cue_regions(bits, ["warp", "smear"])) == {"smear"}  # absent kinds are left out


def test_view_regions_are_the_cue_bits_through_the_models_geometry(tmp_path):
    bits = np.zeros((8, 8), np.uint8)
    bits[0:2, 0:2] = 0b00001  # smear in a corner the 6-px centre crop cuts off
    bits[3:5, 3:5] = 0b01000  # warp in the middle
    bits[4, 4] |= 0b00010  # with a checkerboard pixel on it
    Image.fromarray(bits).save(tmp_path / "m.png")
    same = view_regions(tmp_path / "m.png", 8, 8)
    assert set(same) == {"smear", "warp", "checkerboard"} and same["warp"].sum() == 4
    cropped = view_regions(tmp_path / "m.png", 8, 6)  # centre crop: rows and columns 1..6
    assert set(cropped) == {"smear", "warp", "checkerboard"} and cropped["smear"].sum() == 1
    np.testing.assert_array_equal(cropped["warp"], (bits[1:7, 1:7] & 0b01000) > 0)
    doubled = view_regions(tmp_path / "m.png", 16, 16)  # nearest: each bit covers 2 × 2, values kept
    assert doubled["checkerboard"].sum() == 4 and doubled["warp"].sum() == 16
    with pytest.raises(InputError, match="cue mask"):
        view_regions(tmp_path / "missing.png", 8, 8)
