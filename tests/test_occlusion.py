"""Incremental occlusion (recompute only what a patch changes) against full masked passes."""

import numpy as np
import pytest
import torch
from torch import nn

from authxai.attribution.mpm import centre_grid, mpm_drops, patch_masks
from authxai.attribution.occlusion import AxisStep, PatchOcclusion, Reach, stage_reach
from authxai.attribution.variants import SharedTrunkVariants
from authxai.models.backbones import build_backbone, get_spec, on_device, split_backbone
from authxai.models.heads import RegressionHead
from conftest import calibrated_random_state_dict


def _masked_trunk(trunk, image, rows, cols, side, baseline=0.0):
    masks = patch_masks(image.shape[1], image.shape[2], rows, cols, side)
    return trunk(torch.where(masks[:, None], torch.tensor(baseline), image[None]))


def _border_and_inner_centres(size: int, stride: int) -> tuple[torch.Tensor, torch.Tensor]:
    grid = centre_grid(size, stride)
    rr, cc = np.meshgrid(grid, grid, indexing="ij")
    return torch.as_tensor(rr.ravel()), torch.as_tensor(cc.ravel())


def test_reach_of_known_stages():
    assert stage_reach(nn.Conv2d(3, 8, 3, stride=2, padding=1), 2) == Reach(2, 1, 1)
    # two 3x3 convs in series, the second strided: output o reads input 2o-3 .. 2o+3
    chain = nn.Sequential(nn.Conv2d(3, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 3, 3, stride=2, padding=1))
    assert stage_reach(chain, 2) == Reach(2, 2, 2)
    assert stage_reach(nn.MaxPool2d(3, stride=2, padding=1), 2) == Reach(2, 1, 1)
    assert stage_reach(nn.Conv2d(3, 3, 4, padding=0), 1) == Reach(1, 0, 3)
    assert stage_reach(nn.Conv2d(3, 3, 3, padding="same"), 1) == Reach(1, 2, 2)  # split unknown: both sides


def test_axis_step_covers_every_changed_output():
    """The planned output window holds every output a changed input window reaches, at every
    alignment, and the crop holds every input those outputs read."""
    for reach in (Reach(1, 2, 2), Reach(2, 1, 1), Reach(2, 2, 2), Reach(2, 0, 3), Reach(4, 5, 3)):
        for window in (1, 3, 7):
            step = AxisStep.plan(64, 64 // reach.stride, reach, window)
            starts = torch.arange(0, 64 - window + 1)
            crop, out, offset = step.move(starts)
            for w0, c0, o0, j0 in zip(starts.tolist(), crop.tolist(), out.tolist(), offset.tolist()):
                changed = [
                    o
                    for o in range(step.out_size)
                    if o * reach.stride + reach.after >= w0 and o * reach.stride - reach.before <= w0 + window - 1
                ]
                assert o0 <= changed[0] and changed[-1] < o0 + step.out_window
                assert c0 % reach.stride == 0 and 0 <= c0 <= 64 - step.crop and j0 == o0 - c0 // reach.stride
                lo = o0 * reach.stride - reach.before
                hi = (o0 + step.out_window - 1) * reach.stride + reach.after
                assert (lo >= c0 or c0 == 0) and (hi < c0 + step.crop or c0 + step.crop == 64)


@pytest.fixture(scope="module")
def lite0():
    model = on_device(build_backbone("efficientnet_lite0").eval(), "cpu")
    return split_backbone(model, "efficientnet_lite0")


@pytest.mark.parametrize("side", [1, 3, 9, 37, 200])
def test_lite_occlusion_equals_masked_passes(lite0, side):
    trunk, _ = lite0
    torch.manual_seed(side)
    image = torch.randn(3, 128, 128)
    rows, cols = _border_and_inner_centres(128, 21)  # corners, edges and the inside
    occlusion = PatchOcclusion(trunk, image, baseline=-0.5)
    with torch.no_grad():
        fast = occlusion.patched(rows, cols, side).act
        full = _masked_trunk(trunk, image, rows, cols, side, baseline=-0.5).act
        intact = trunk(image[None]).act
    if side < 128:
        assert len(occlusion.plan(side)) >= 3  # the high-resolution stages do run on crops
    moved = (full - intact).abs().amax()
    assert moved > 1e-2  # the patches do change the output
    torch.testing.assert_close(fast, full, atol=1e-5 * float(full.abs().amax()), rtol=0)


def test_stage_reach_bounds_what_a_pixel_changes(lite0):
    """Perturb one input pixel of each Lite stage: no output outside the reach moves."""
    trunk, _ = lite0
    torch.manual_seed(0)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        for stage in trunk.stages():
            y = stage(x)
            reach = stage_reach(stage, x.shape[-1] // y.shape[-1])
            for pixel in (0, x.shape[-1] // 3, x.shape[-1] - 1):
                bumped = x.clone()
                bumped[:, :, pixel, pixel] += 5.0
                changed = (stage(bumped) - y).abs().amax(dim=(0, 1)) > 0
                lo = -(-(pixel - reach.after) // reach.stride)
                hi = (pixel + reach.before) // reach.stride
                rows = torch.nonzero(changed.any(dim=1)).ravel()
                assert rows.min() >= lo and rows.max() <= hi
            x = y


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["vgg16", "resnet152", "densenet161"])
def test_paper_backbone_occlusion_equals_masked_passes(arch):
    """Every paper family with local stages (EfficientNet-B3 has squeeze-excitation: none)."""
    torch.manual_seed(0)
    calibration = torch.randn(4, 3, 96, 96)
    model = get_spec(arch).build()
    model.load_state_dict(calibrated_random_state_dict(arch, calibration))
    trunk, _ = split_backbone(on_device(model.eval(), "cpu"), arch)
    image = calibration[0]
    rows, cols = torch.tensor([0, 40, 95, 12]), torch.tensor([95, 41, 0, 60])
    occlusion = PatchOcclusion(trunk, image)
    for side in (3, 17):
        with torch.no_grad():
            fast = occlusion.patched(rows, cols, side)
            full = _masked_trunk(trunk, image, rows, cols, side)
        assert occlusion.plan(side)
        for a, b in zip(fast, full):
            if b is not None:
                torch.testing.assert_close(a, b, atol=1e-4 * float(b.abs().amax()), rtol=0)


def test_efficientnet_b3_has_no_local_stages():
    trunk, _ = split_backbone(get_spec("efficientnet_b3").build().eval(), "efficientnet_b3")
    image = torch.randn(3, 64, 64)
    occlusion = PatchOcclusion(trunk, image)
    assert trunk.stages() == [] and occlusion.plan(3) == []
    with torch.no_grad():
        rows, cols = torch.tensor([5, 30]), torch.tensor([60, 2])
        torch.testing.assert_close(occlusion.patched(rows, cols, 9).act, _masked_trunk(trunk, image, rows, cols, 9).act)


def test_mpm_of_every_variant_is_the_same_with_incremental_occlusion(lite0):
    trunk, tail = lite0
    torch.manual_seed(1)
    heads = [RegressionHead(1280, (64,)).eval() for _ in range(3)]
    variants = SharedTrunkVariants(trunk, tail, heads, [None, None, (torch.rand(1280) > 0.3).float()]).eval()
    image = torch.randn(3, 128, 128)
    full = mpm_drops(variants, image, (3, 9, 37), stride=16, batch_size=40)
    fast = mpm_drops(variants, image, (3, 9, 37), stride=16, batch_size=40, occluded=variants.occluded(image))
    assert full.abs().amax() > 1e-3
    torch.testing.assert_close(fast, full, atol=1e-5 * float(full.abs().amax()), rtol=0)
