"""Grad-CAM for regression (signed, no ReLU), on any model with a scalar output per image."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from authxai.attribution.variants import ExplainedVariants, SharedTrunkVariants
from authxai.precision import record


def cam_from(act: torch.Tensor, grad: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Signed Grad-CAM: spatial-mean gradient weights, weighted channel sum, bilinear upsampling."""
    weights = grad.mean(dim=(2, 3), keepdim=True)
    cam = (weights * act).sum(dim=1, keepdim=True)
    return F.interpolate(cam, size=size, mode="bilinear", align_corners=False)[:, 0]


def gradcam(model: nn.Module, layer: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """(B, H, W) signed Grad-CAM maps of ``model``'s scalar output at ``layer``.

    The gradient of each image's output w.r.t. the layer's output is averaged over space to
    weight the channels; the weighted sum is not rectified (regression: both signs matter)
    and is upsampled bilinearly to the input size. Equals captum's
    ``LayerGradCam(relu_attributions=False)`` followed by ``LayerAttribution.interpolate``.
    """
    store: dict[str, torch.Tensor] = {}

    def hook(_m, _i, out):
        store["act"] = out

    handle = layer.register_forward_hook(hook)
    # A frozen backbone has no parameter that requires grad: let the graph start at the input.
    images = images.detach().requires_grad_(True)
    try:
        with torch.enable_grad():
            out = model(images)
            act = store["act"]
            grad = torch.autograd.grad(out.sum(), act)[0]
    finally:
        handle.remove()
    return cam_from(act.detach(), grad, images.shape[-2:]).detach()


def gradcam_shared(
    act: torch.Tensor, variants: list[Callable[[torch.Tensor], torch.Tensor]], size: tuple[int, int]
) -> torch.Tensor:
    """(V, B, H, W) Grad-CAM of several variants that share one trunk output ``act``.

    Each variant maps the (unmasked) target activation to a scalar per image, applying its own
    channel mask inside, so pruned channels get zero gradient and drop out of the map.
    """
    act = act.detach().float().requires_grad_(True)
    maps = []
    with torch.enable_grad():
        for fn in variants:
            grad = torch.autograd.grad(fn(act).sum(), act)[0]
            maps.append(cam_from(act.detach(), grad, size))
    return torch.stack(maps).detach()


def gradcam_rows(
    variants: SharedTrunkVariants, image: torch.Tensor, cfg: dict, who: ExplainedVariants | None = None
) -> list[dict[str, Any]]:
    """Grad-CAM of every variant of one image from one trunk pass (a row per variant), in fp32
    whatever the variants' precision (``Method.fixed_precision``), as the provenance records."""
    record(variants.label, "fp32")
    out = variants.trunk(image[None])
    fns = [
        lambda a, head=head, mask=mask: head(variants.tail(a, out.aux, mask))[0]
        for head, mask in zip(variants.heads, variants.masks)
    ]
    maps = gradcam_shared(out.act, fns, image.shape[-2:])[:, 0]
    return [{"map": m.cpu().numpy()} for m in maps]
