"""LIME for regression, vectorized: SLIC superpixels, batched perturbations and forwards.

The surrogate (perturbation draws, kernel weights, weighted ridge; see
:mod:`authxai.attribution.lime_surrogate`, which matches the ``lime`` package) is fit on the
outputs computed here; hidden superpixels take the image's mean colour.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from authxai.attribution.lime_surrogate import (  # noqa: F401 (re-exported: LIME's public API)
    KERNEL_WIDTH,
    LimeResult,
    explain_from_predictions,
    fit_surrogate,
    kernel_weights,
    perturbations,
)
from authxai.attribution.maps import flat
from authxai.attribution.variants import ExplainedVariants, SharedTrunkVariants
from authxai.models.features import IMAGENET_MEAN, IMAGENET_STD
from authxai.progress import Progress


def slic_segments(image_01: np.ndarray, n_segments: int = 150, seed: int = 0) -> np.ndarray:
    """SLIC superpixels (≤ ``n_segments``) of an (H, W, 3) image in [0, 1], labels 0..K-1."""
    from skimage.segmentation import slic

    seg = slic(image_01, n_segments=n_segments, compactness=10, start_label=0, channel_axis=-1)
    _, labels = np.unique(seg, return_inverse=True)
    return labels.reshape(seg.shape)


def derived_seed(base: int, *keys: object) -> int:
    """A perturbation seed from ``base`` and names (image, architecture, regime, variant seed):
    stable across processes and Python versions (unlike ``hash``), distinct per key."""
    text = "|".join(str(k) for k in (base, *keys)).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:4], "little")


def perturbed_batch(image: torch.Tensor, segments: torch.Tensor, z_rows: torch.Tensor) -> torch.Tensor:
    """(n, 3, H, W) images with hidden superpixels set to the image's mean colour (vectorized)."""
    keep = z_rows[:, segments]  # (n, H, W) via advanced indexing
    fill = image.mean(dim=(1, 2), keepdim=True)
    return torch.where(keep[:, None].bool(), image[None], fill[None])


@torch.no_grad()
def lime_predictions(
    forward: Callable[[torch.Tensor], torch.Tensor],
    image: torch.Tensor,
    segments: np.ndarray,
    z: np.ndarray,
    batch_size: int = 64,
) -> np.ndarray:
    """(num_samples, V) outputs of ``forward`` on the perturbed images (one pass for all V)."""
    seg = torch.as_tensor(segments, device=image.device)
    zt = torch.as_tensor(z, dtype=torch.float32, device=image.device)
    outs, progress = [], Progress("LIME perturbed images", len(z))
    for lo in range(0, len(z), batch_size):
        outs.append(forward(perturbed_batch(image, seg, zt[lo : lo + batch_size])).float().cpu())
        progress.advance(len(outs[-1]))
    progress.close()
    return torch.cat(outs).reshape(len(z), -1).numpy().astype(np.float64)


def unnormalize(image: torch.Tensor) -> np.ndarray:
    """(3, H, W) ImageNet-normalized tensor -> (H, W, 3) in [0, 1] (for segmentation)."""
    mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
    return (image.cpu() * std + mean).clamp(0, 1).permute(1, 2, 0).numpy()


def lime(
    model: nn.Module,
    image: torch.Tensor,
    n_segments: int = 150,
    num_samples: int = 1000,
    seed: int = 0,
    batch_size: int = 64,
    segments: np.ndarray | None = None,
) -> LimeResult:
    """LIME explanation of a scalar-output ``model`` for one normalized (3, H, W) image."""
    segments = slic_segments(unnormalize(image), n_segments) if segments is None else segments
    z = perturbations(int(segments.max()) + 1, num_samples, seed)
    y = lime_predictions(lambda x: model(x).reshape(len(x), 1), image, segments, z, batch_size)[:, 0]
    return explain_from_predictions(z, y, segments)


#: The regime whose variants the ensembles combine: its LIME jobs also record every variant's
#: outputs on the ensemble's own perturbations, so ensemble maps never rerun a backbone.
ENSEMBLE_REGIME = "val"


@dataclass(frozen=True)
class LimeDraws:
    """Perturbation seeds of one LIME job: one per variant (equal when shared), and the
    ensemble's (None: no ensemble outputs are recorded)."""

    per_variant: tuple[int, ...]
    ensemble: int | None = None


def lime_draws(cfg: dict, who: ExplainedVariants) -> LimeDraws:
    """LIME perturbation seeds of the variants of one job.

    Per variant (default): derived from ``attribution.lime.seed``, the image and the variant.
    Shared (``shared_samples``): the configured seed for every variant and image. The ensemble's
    draw depends on the image only, so every architecture's variants see the same perturbations.
    """
    if cfg.get("shared_samples", False):
        per_variant = tuple(cfg["seed"] for _ in who.seeds)
        ensemble = cfg["seed"]
    else:
        per_variant = tuple(derived_seed(cfg["seed"], who.image_id, who.arch, who.regime, s) for s in who.seeds)
        ensemble = derived_seed(cfg["seed"], who.image_id, "ensemble")
    return LimeDraws(per_variant, ensemble if who.regime == ENSEMBLE_REGIME else None)


def _own_draw_predictions(
    variants: SharedTrunkVariants, image: torch.Tensor, segments: np.ndarray, draws: dict[int, np.ndarray], cfg: dict
) -> dict[int, np.ndarray]:
    """Seed -> (num_samples, V) outputs of every variant on that seed's perturbations: all
    draws go through the trunk in one batched pass (a shared draw costs one set, not V)."""
    seeds = list(draws)
    preds = lime_predictions(variants, image, segments, np.concatenate([draws[s] for s in seeds]), cfg["batch_size"])
    n = cfg["num_samples"]
    return {s: preds[k * n : (k + 1) * n] for k, s in enumerate(seeds)}


def lime_rows(
    variants: SharedTrunkVariants, image: torch.Tensor, cfg: dict, who: ExplainedVariants | None = None
) -> list[dict[str, Any]]:
    """LIME of every variant of one image (a row per variant): the map, the surrogate's
    coefficients and R², the superpixels, the perturbation seed and the outputs it was fit on;
    in the ensemble regime also every variant's outputs on the ensemble's draw. ``who`` names
    the variants (their seeds derive from it); without it every variant shares ``cfg["seed"]``."""
    draws = lime_draws(cfg, who) if who else LimeDraws(tuple(cfg["seed"] for _ in variants.heads))
    segments = slic_segments(unnormalize(image), cfg["n_segments"])
    n_segments = int(segments.max()) + 1
    wanted = {*draws.per_variant, *([] if draws.ensemble is None else [draws.ensemble])}
    z = {seed: perturbations(n_segments, cfg["num_samples"], seed) for seed in wanted}
    preds = _own_draw_predictions(variants, image, segments, z, cfg)
    rows = []
    for v, seed in enumerate(draws.per_variant):
        res = explain_from_predictions(z[seed], preds[seed][:, v], segments)
        row = {
            "map": res.map,
            "coefficients": res.coefficients.astype(np.float32).tolist(),
            "intercept": res.intercept,
            "r2": res.r2,
            "n_segments": n_segments,
            "segments": flat(segments, np.int16),
            "perturbation_seed": seed,
            "num_samples": cfg["num_samples"],
            "predictions": preds[seed][:, v].astype(np.float32).tolist(),
        }
        if draws.ensemble is not None:
            # outputs on the ensemble's perturbations: ensemble maps refit LIME from these
            row["ensemble_seed"] = draws.ensemble
            row["ensemble_predictions"] = preds[draws.ensemble][:, v].astype(np.float32).tolist()
        rows.append(row)
    return rows
