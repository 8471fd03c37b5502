"""Multi-scale pixel masking (MPM): the output drop when a square patch around each pixel is
set to the baseline (0 in normalized space), at several patch sizes.

One engine serves the public API (any scalar model) and the pipeline (all variants of an
architecture through one shared trunk pass): it takes ``forward(x) -> (B, V)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from authxai.attribution.maps import flat_per_scale
from authxai.attribution.variants import ExplainedVariants, SharedTrunkVariants
from authxai.progress import Progress


def centre_grid(size: int, stride: int) -> np.ndarray:
    """Patch centres along one axis: every ``stride`` pixels, always including the last pixel."""
    grid = np.arange(0, size, stride)
    return grid if grid[-1] == size - 1 else np.append(grid, size - 1)


def patch_masks(height: int, width: int, rows: torch.Tensor, cols: torch.Tensor, side: int) -> torch.Tensor:
    """(N, H, W) boolean squares of ``side`` pixels centred at (rows[i], cols[i]), clipped at borders."""
    half = side // 2
    r = torch.arange(height, device=rows.device)
    c = torch.arange(width, device=rows.device)
    in_rows = (r[None] >= rows[:, None] - half) & (r[None] <= rows[:, None] + side - 1 - half)
    in_cols = (c[None] >= cols[:, None] - half) & (c[None] <= cols[:, None] + side - 1 - half)
    return in_rows[:, :, None] & in_cols[:, None, :]


@torch.no_grad()
def mpm_drops(
    forward: Callable[[torch.Tensor], torch.Tensor],
    image: torch.Tensor,
    patch_sizes: tuple[int, ...] = (3, 17, 65),
    stride: int = 1,
    batch_size: int = 64,
    baseline: float = 0.0,
    occluded: Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor] | None = None,
) -> torch.Tensor:
    """(V, S, H, W) raw drops f(x) − f(x_masked) of ``V`` outputs of ``forward`` for one image.

    ``image`` is (3, H, W) in the model's input space. With ``stride > 1`` the drops are
    computed on a grid of centres and interpolated bilinearly to every pixel. The drops are
    differences of float32 outputs; what precision ``forward`` computes in is its own choice
    (:class:`~authxai.attribution.variants.SharedTrunkVariants` runs float32 unless asked for
    bf16). ``occluded(rows, cols, side)``, when given, computes the outputs of the masked
    images in place of masking and ``forward`` (e.g.
    :meth:`~authxai.attribution.variants.SharedTrunkVariants.occluded`, which recomputes only
    what each patch changes).
    """
    device = image.device
    _, height, width = image.shape
    rows_1d, cols_1d = centre_grid(height, stride), centre_grid(width, stride)
    rr, cc = np.meshgrid(rows_1d, cols_1d, indexing="ij")
    rows = torch.as_tensor(rr.ravel(), device=device)
    cols = torch.as_tensor(cc.ravel(), device=device)

    def masked(rows: torch.Tensor, cols: torch.Tensor, side: int) -> torch.Tensor:
        masks = patch_masks(height, width, rows, cols, side)
        return forward(
            torch.where(masks[:, None], torch.as_tensor(baseline, dtype=image.dtype, device=device), image[None])
        )

    occluded = occluded or masked
    base = forward(image[None]).float()[0]  # (V,)
    out = []
    progress = Progress("MPM masked images", len(rows) * len(patch_sizes))
    for side in patch_sizes:
        drops = []
        for lo in range(0, len(rows), batch_size):
            batch_rows, batch_cols = rows[lo : lo + batch_size], cols[lo : lo + batch_size]
            drops.append(base[None] - occluded(batch_rows, batch_cols, side).float())  # (n, V)
            progress.advance(len(batch_rows))  # a stride-1 image runs for minutes
        grid = torch.cat(drops).T.reshape(-1, len(rows_1d), len(cols_1d))  # (V, h, w)
        if stride > 1:
            grid = _interpolate(grid, rows_1d, cols_1d, height, width)
        out.append(grid)
    progress.close()
    return torch.stack(out, dim=1)


def _interpolate(grid: torch.Tensor, rows: np.ndarray, cols: np.ndarray, height: int, width: int) -> torch.Tensor:
    """Bilinear interpolation of values on the (rows × cols) centre grid to every pixel."""
    from scipy.interpolate import RegularGridInterpolator

    yy, xx = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    pts = np.stack([yy.ravel(), xx.ravel()], axis=1)
    arr = grid.cpu().double().numpy()
    full = [RegularGridInterpolator((rows, cols), g, method="linear")(pts).reshape(height, width) for g in arr]
    return torch.as_tensor(np.stack(full), dtype=grid.dtype, device=grid.device)


def mpm(
    model: nn.Module,
    images: torch.Tensor,
    patch_sizes: tuple[int, ...] = (3, 17, 65),
    stride: int = 1,
    batch_size: int = 64,
    baseline: float = 0.0,
) -> torch.Tensor:
    """(B, S, H, W) raw MPM drops of a scalar-output ``model`` for each image; importance is
    the mean over scales (normalize at use)."""

    def forward(x):
        return model(x).reshape(len(x), 1)

    return torch.stack([mpm_drops(forward, img, patch_sizes, stride, batch_size, baseline)[0] for img in images])


def mpm_naive(
    model: nn.Module, image: torch.Tensor, patch_sizes: tuple[int, ...], baseline: float = 0.0
) -> torch.Tensor:
    """Reference: one masked copy and one forward pass per pixel and scale (the authors' way)."""
    _, height, width = image.shape
    with torch.no_grad():
        base = float(model(image[None]).reshape(-1)[0])
    out = torch.zeros(len(patch_sizes), height, width)
    with torch.no_grad():
        for s, side in enumerate(patch_sizes):
            half = side // 2
            for i in range(height):
                for j in range(width):
                    x = image.clone()
                    x[:, max(0, i - half) : i + side - half, max(0, j - half) : j + side - half] = baseline
                    out[s, i, j] = base - float(model(x[None]).reshape(-1)[0])
    return out


def mpm_importance(drops: torch.Tensor | np.ndarray) -> np.ndarray:
    """Importance map: mean of the raw drops over scales (axis -3)."""
    return np.asarray(drops).mean(axis=-3)


__all__ = ["mpm", "mpm_drops", "mpm_naive", "mpm_importance", "patch_masks", "centre_grid"]


def mpm_rows(
    variants: SharedTrunkVariants, image: torch.Tensor, cfg: dict, who: ExplainedVariants | None = None
) -> list[dict[str, Any]]:
    """MPM of every variant of one image (a row per variant): the mean over scales as the map,
    the raw drops of every scale (the ensembles combine those) and the settings that made them."""
    sizes = tuple(cfg["patch_sizes"])
    occluded = variants.occluded(image) if cfg.get("incremental", True) else None
    drops = mpm_drops(variants, image, sizes, cfg["stride"], cfg["batch_size"], occluded=occluded).cpu().numpy()
    return [
        {"map": d.mean(axis=0), "drops": flat_per_scale(d), "patch_sizes": list(sizes), "stride": cfg["stride"]}
        for d in drops
    ]
