"""Attribution methods against captum, the lime package and a naive per-pixel MPM loop."""

import copy

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from authxai import precision
from authxai.attribution.gradcam import gradcam, gradcam_shared
from authxai.attribution.lime import (
    explain_from_predictions,
    kernel_weights,
    lime,
    lime_predictions,
    perturbations,
    slic_segments,
    unnormalize,
)
from authxai.attribution.mpm import mpm, mpm_drops, mpm_naive
from authxai.attribution.variants import SharedTrunkVariants
from authxai.models.backbones import build_backbone, split_backbone
from authxai.models.heads import RegressionHead


class TinyRegressor(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 6, 3, padding=1, stride=2)
        self.fc = nn.Linear(6, 1)

    def forward(self, x):
        h = torch.relu(self.conv2(torch.relu(self.conv1(x))))
        return self.fc(h.mean(dim=(2, 3)) + h.amax(dim=(2, 3))).squeeze(-1)


@pytest.fixture(scope="module")
def lite_variants():
    trunk, tail = split_backbone(build_backbone("efficientnet_lite0"), "efficientnet_lite0")
    torch.manual_seed(1)
    heads = [RegressionHead(1280, (512, 128)).eval() for _ in range(3)]
    masks = [None, None, (torch.rand(1280) > 0.3).float()]
    return SharedTrunkVariants(trunk, tail, heads, masks).eval()


def test_gradcam_equals_captum():
    from captum.attr import LayerAttribution, LayerGradCam

    model = TinyRegressor().eval()
    x = torch.randn(3, 3, 20, 20)
    ours = gradcam(model, model.conv2, x)
    ref = LayerGradCam(model, model.conv2).attribute(x, relu_attributions=False)
    ref = LayerAttribution.interpolate(ref, (20, 20), interpolate_mode="bilinear")[:, 0]
    torch.testing.assert_close(ours, ref, atol=1e-4, rtol=1e-4)
    assert (ours < 0).any() and (ours > 0).any()  # signed, not rectified


def test_shared_trunk_gradcam_equals_per_variant_gradcam(lite_variants):
    x = torch.randn(2, 3, 64, 64)
    out = lite_variants.trunk(x)
    fns = [
        lambda a, h=h, m=m: h(lite_variants.tail(a, None, m))[0]
        for h, m in zip(lite_variants.heads, lite_variants.masks)
    ]
    shared = gradcam_shared(out.act, fns, (64, 64))
    layer = lite_variants.trunk.model.conv_head
    for k in range(3):
        torch.testing.assert_close(shared[k], gradcam(lite_variants.variant(k), layer, x), atol=1e-4, rtol=1e-3)


def test_mpm_equals_the_naive_per_pixel_loop():
    model = TinyRegressor().eval()
    x = torch.randn(2, 3, 12, 12)
    fast = mpm(model, x, patch_sizes=(3, 5, 13), stride=1, batch_size=17)
    for b in range(2):
        torch.testing.assert_close(fast[b], mpm_naive(model, x[b], (3, 5, 13)), atol=1e-6, rtol=1e-5)


def test_mpm_stride_interpolates_exact_values_on_the_grid():
    model = TinyRegressor().eval()
    x = torch.randn(1, 3, 13, 13)
    full = mpm(model, x, patch_sizes=(3,), stride=1)[0, 0]
    coarse = mpm(model, x, patch_sizes=(3,), stride=4)[0, 0]
    grid = [0, 4, 8, 12]
    torch.testing.assert_close(coarse[grid][:, grid], full[grid][:, grid], atol=1e-6, rtol=1e-5)


def test_shared_trunk_mpm_equals_each_variant(lite_variants):
    img = torch.randn(3, 48, 48)
    shared = mpm_drops(lite_variants, img, patch_sizes=(9, 25), stride=8, batch_size=32)
    for k in range(3):
        one = mpm(lite_variants.variant(k), img[None], patch_sizes=(9, 25), stride=8)[0]
        torch.testing.assert_close(shared[k], one, atol=1e-4, rtol=1e-4)


def test_lime_surrogate_equals_lime_base():
    from lime.lime_base import LimeBase

    rng = np.random.default_rng(0)
    z = perturbations(30, 500, seed=3)
    y = z @ rng.normal(size=30) + rng.normal(0, 0.1, 500)
    segments = np.arange(30).reshape(5, 6)
    ours = explain_from_predictions(z, y, segments)
    from sklearn.metrics import pairwise_distances

    distances = pairwise_distances(z, z[0].reshape(1, -1), metric="cosine").ravel()
    base = LimeBase(lambda d: np.sqrt(np.exp(-(d**2) / 0.25**2)), random_state=0)
    intercept, exp, score, _ = base.explain_instance_with_data(z, y[:, None], distances, 0, 30)
    coef = np.zeros(30)
    for idx, w in exp:
        coef[idx] = w
    np.testing.assert_allclose(ours.coefficients, coef, atol=1e-6)
    assert ours.r2 == pytest.approx(score, abs=1e-6)
    assert ours.intercept == pytest.approx(intercept, abs=1e-6)
    np.testing.assert_allclose(kernel_weights(z), np.sqrt(np.exp(-(distances**2) / 0.0625)))


@pytest.mark.slow  # the lime package's pure-Python perturbation loop: ~30 s
def test_lime_matches_the_lime_package_end_to_end(lite_variants):
    import skimage.data
    from lime.lime_image import LimeImageExplainer
    from PIL import Image

    from authxai.models.features import IMAGENET_MEAN, IMAGENET_STD

    model = lite_variants.variant(0)
    photo = np.asarray(Image.fromarray(skimage.data.chelsea()).resize((96, 96)), dtype=np.float32) / 255
    x = torch.tensor((photo - IMAGENET_MEAN) / IMAGENET_STD, dtype=torch.float32).permute(2, 0, 1)
    segments = slic_segments(unnormalize(x), 150)
    ours = lime(model, x, num_samples=2000, seed=0, segments=segments)
    hwc = x.permute(1, 2, 0).numpy().astype(np.float64)

    def predict(batch):
        with torch.no_grad():
            return model(torch.tensor(batch, dtype=torch.float32).permute(0, 3, 1, 2)).numpy()[:, None]

    explanation = LimeImageExplainer(random_state=1).explain_instance(
        hwc,
        predict,
        labels=(0,),
        top_labels=None,
        hide_color=hwc.mean(axis=(0, 1)),
        num_samples=2000,
        segmentation_fn=lambda _img: segments,
        num_features=int(segments.max()) + 1,
        batch_size=100,
    )
    ref = np.zeros(int(segments.max()) + 1)
    for idx, w in explanation.local_exp[0]:
        ref[idx] = w
    assert np.corrcoef(ours.coefficients, ref)[0, 1] >= 0.8
    assert ours.map.shape == (96, 96) and 0 < ours.r2 <= 1


def test_shared_lime_predictions_equal_per_variant(lite_variants):
    img = torch.randn(3, 48, 48)
    segments = slic_segments(unnormalize(img), 30)
    z = perturbations(int(segments.max()) + 1, 40, seed=0)
    shared = lime_predictions(lite_variants, img, segments, z, batch_size=16)
    for k in range(3):
        one = lime_predictions(lambda t, k=k: lite_variants.variant(k)(t)[:, None], img, segments, z)
        np.testing.assert_allclose(shared[:, k], one[:, 0], rtol=1e-4, atol=1e-4)


def _who(seeds, regime="test"):
    from authxai.attribution.variants import ExplainedVariants

    return ExplainedVariants("efficientnet_lite0", regime, "im7", tuple(seeds))


LIME_CFG = {"n_segments": 20, "num_samples": 30, "seed": 4, "batch_size": 64}


def test_lime_draws_each_variant_its_own_perturbations(lite_variants):
    """Per-variant draws (the paper's LIME, run once per model): every row equals LIME run on that
    variant alone with the recorded seed; the draws differ between variants and are stable."""
    from authxai.attribution.pipeline import explain_variants

    img = torch.randn(3, 48, 48)
    rows = explain_variants("lime", lite_variants, img, LIME_CFG, _who([0, 1, 2]))
    seeds = [row["perturbation_seed"] for row in rows]
    assert len(set(seeds)) == 3 and "ensemble_seed" not in rows[0]
    again = explain_variants("lime", lite_variants, img, LIME_CFG, _who([0, 1, 2]))
    assert [row["perturbation_seed"] for row in again] == seeds
    segments = np.asarray(rows[0]["segments"]).reshape(48, 48)
    for k, row in enumerate(rows):
        alone = lime(lite_variants.variant(k), img, num_samples=30, seed=row["perturbation_seed"], segments=segments)
        np.testing.assert_allclose(row["coefficients"], alone.coefficients, rtol=1e-3, atol=1e-4)
    # a repeated seed (the sanity checks' randomized copies of one variant) repeats the draw
    repeated = explain_variants("lime", lite_variants, img, LIME_CFG, _who([5, 5, 5]))
    assert len({row["perturbation_seed"] for row in repeated}) == 1


def test_shared_lime_samples_are_an_opt_in_and_ensembles_get_their_own_draw(lite_variants):
    from authxai.attribution.pipeline import explain_variants

    img = torch.randn(3, 48, 48)
    shared = explain_variants("lime", lite_variants, img, {**LIME_CFG, "shared_samples": True}, _who([0, 1, 2]))
    assert {row["perturbation_seed"] for row in shared} == {4}
    z = perturbations(shared[0]["n_segments"], 30, 4)
    segments = np.asarray(shared[0]["segments"]).reshape(48, 48)
    preds = lime_predictions(lite_variants, img, segments, z)
    np.testing.assert_allclose([row["predictions"] for row in shared], preds.T, rtol=1e-4, atol=1e-4)
    # the regime the ensembles combine records every variant's outputs on one ensemble draw
    val = explain_variants("lime", lite_variants, img, LIME_CFG, _who([0, 1, 2], regime="val"))
    assert len({row["ensemble_seed"] for row in val}) == 1
    z_ens = perturbations(val[0]["n_segments"], 30, val[0]["ensemble_seed"])
    ens = lime_predictions(lite_variants, img, segments, z_ens)
    np.testing.assert_allclose([row["ensemble_predictions"] for row in val], ens.T, rtol=1e-4, atol=1e-4)


def test_lime_rows_refit_from_their_stored_draw_and_split_halves():
    """What the consistency stage refits from a LIME row (its draw's seed and the variant's
    stored outputs) is the row's own surrogate; the halves are LIME on half the samples."""
    from authxai.attribution.lime_surrogate import split_half_explanations
    from authxai.attribution.pipeline import explain_variants
    from authxai.consistency_lime import lime_within_tables, variant_maps
    from authxai.models.backbones import calibrate_batchnorm

    torch.manual_seed(2)
    # BatchNorm statistics from data: random-init EfficientNet outputs vanish without them
    backbone = calibrate_batchnorm(build_backbone("efficientnet_lite0"), torch.randn(8, 3, 48, 48))
    trunk, tail = split_backbone(backbone, "efficientnet_lite0")
    lite_variants = SharedTrunkVariants(trunk, tail, [RegressionHead(1280, (64,)).eval() for _ in range(3)]).eval()
    # blocks of colour: SLIC finds one superpixel in white noise
    img = torch.nn.functional.interpolate(torch.randn(1, 3, 4, 4), size=48, mode="nearest")[0]
    cfg = {**LIME_CFG, "num_samples": 40, "shared_samples": True}
    rows = explain_variants("lime", lite_variants, img, cfg, _who([0, 1, 2]))
    segments = np.asarray(rows[0]["segments"]).reshape(48, 48)
    z = perturbations(rows[0]["n_segments"], 40, rows[0]["perturbation_seed"])
    preds = lime_predictions(lite_variants, img, segments, z)
    for k, row in enumerate(rows):
        refit = explain_from_predictions(z, np.asarray(row["predictions"], np.float64), segments)
        np.testing.assert_allclose(refit.coefficients, row["coefficients"], rtol=1e-3, atol=1e-4)
        a, b = split_half_explanations(z, preds[:, k], segments)
        mine = variant_maps({**row, "seed": k, "height": 48, "width": 48})
        np.testing.assert_allclose(mine.half_a, a.map, rtol=1e-3, atol=1e-4)
        np.testing.assert_allclose(mine.half_b, explain_from_predictions(z[20:], preds[20:, k], segments).map,
                                   rtol=1e-3, atol=1e-4)  # fmt: skip
        np.testing.assert_allclose(mine.half_b, b.map, rtol=1e-3, atol=1e-4)
    table = pd.DataFrame([{**row, "seed": k, "arch": "lite0", "image_id": "im7", "height": 48, "width": 48}
                          for k, row in enumerate(rows)])  # fmt: skip
    pairs, per_image = lime_within_tables(table)
    maps = [np.asarray(row["map"]) for row in rows]
    assert pairs["pearson_shared"].tolist() == pytest.approx(
        [np.corrcoef(maps[i], maps[j])[0, 1] for i, j in ((0, 1), (0, 2), (1, 2))], abs=1e-6
    )
    assert rows[0]["n_segments"] > 5 and np.isfinite(pairs["pearson"]).all()
    assert per_image.loc[0, "estimate"].startswith("independent: split halves of one shared 40-sample draw")


def test_bf16_trunk_keeps_heads_and_drops_in_float32(lite_variants):
    """fp32 is the default; bf16 autocasts the trunk only: outputs are not on bf16's 0.25-point
    grid near 50, and MPM maps agree closely with fp32. (A CPU without native bf16 runs fp32:
    tests/test_precision.py.)"""
    if precision.native_cpu_bf16() is not True:
        pytest.skip(f"this CPU ({precision.cpu_capability()}) has no native bf16: bf16 runs fp32")
    trunk, tail = lite_variants.trunk, lite_variants.tail
    heads = [copy.deepcopy(h) for h in lite_variants.heads]
    for head in heads:
        head.out.bias.data.fill_(50.0)  # predictions near 50, where bf16's step is 0.25
    bf16 = SharedTrunkVariants(trunk, tail, heads, lite_variants.masks, precision="bf16").eval()
    fp32 = SharedTrunkVariants(trunk, tail, heads, lite_variants.masks).eval()
    assert fp32.precision == "fp32"
    x = torch.randn(8, 3, 64, 64)
    with torch.no_grad():
        out = bf16(x)
    assert out.dtype == torch.float32
    assert float((out * 4 - torch.round(out * 4)).abs().max()) > 1e-3  # not rounded to 0.25 steps
    img = torch.randn(3, 64, 64)
    a = mpm_drops(fp32, img, (9, 33), stride=8).numpy()
    b = mpm_drops(bf16, img, (9, 33), stride=8).numpy()
    assert not np.array_equal(a, b)
    for k in range(a.shape[0]):
        assert np.corrcoef(a[k].ravel(), b[k].ravel())[0, 1] > 0.9
    with pytest.raises(ValueError, match="precision"):
        SharedTrunkVariants(trunk, tail, heads, precision="fp16")


def test_attribution_table_cells_round_trip_through_parquet(tmp_path):
    """The table format: maps, superpixels and per-scale drops survive a parquet round trip in
    row-major order (a transposed decode would swap the asymmetric test pattern)."""
    from authxai.attribution.maps import drops_array, flat, flat_per_scale, map_array, segments_array
    from authxai.tables import read_parquet, write_parquet

    height, width = 3, 5
    grid = np.arange(height * width, dtype=np.float32).reshape(height, width) - 7.5
    drops = np.stack([grid, 2 * grid])
    row = {
        "height": height,
        "width": width,
        "map": flat(grid),
        "segments": flat(grid > 0, np.int16),
        "drops": flat_per_scale(drops),
    }
    write_parquet(pd.DataFrame([row]), tmp_path / "a.parquet")
    back = read_parquet(tmp_path / "a.parquet").iloc[0]
    np.testing.assert_array_equal(map_array(back), grid)
    assert map_array(back)[0, 4] == 4 - 7.5  # row-major: first row, last column
    np.testing.assert_array_equal(segments_array(back), (grid > 0).astype(np.int16))
    np.testing.assert_array_equal(drops_array(back), drops)
    assert drops_array(back, np.float64).dtype == np.float64


def test_image_chunks_partition_the_images_in_order():
    from authxai.workflow import image_chunks

    images = [f"img{i}" for i in range(7)]
    chunks = image_chunks(images, 3)
    assert chunks == {"img0-img2": images[:3], "img3-img5": images[3:6], "img6": ["img6"]}
    assert image_chunks(images, 1) == {i: [i] for i in images}  # a job and a table per image
    assert list(image_chunks(images, 100)) == ["img0-img6"]
    with pytest.raises(ValueError, match="at least 1"):
        image_chunks(images, 0)


def test_read_attributions_keeps_the_images_asked_for(tmp_path):
    from authxai.attribution.maps import read_attributions

    for name, ids in {"a": ["x", "y"], "b": ["z"]}.items():
        pd.DataFrame({"image_id": ids, "seed": 0, "map": [[float(i)] for i in range(len(ids))]}).to_parquet(
            tmp_path / f"{name}.parquet"
        )
    paths = [tmp_path / "a.parquet", tmp_path / "b.parquet"]
    assert list(read_attributions(paths)["image_id"]) == ["x", "y", "z"]
    assert list(read_attributions(paths, ["z", "y"])["image_id"]) == ["y", "z"]
    assert list(read_attributions(paths, ["y"], columns=["seed"]).columns) == ["seed", "image_id"]
    with pytest.raises(ValueError, match="'w'"):
        read_attributions(paths, ["x", "w"])
