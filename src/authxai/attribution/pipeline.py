"""Attributions of every variant of one architecture for one image, as table rows.

One call = one workflow job (method, regime, arch, image): all seeds share the trunk pass
(Grad-CAM, MPM) or the perturbations and the trunk pass (LIME). Rows follow the attribution
contract (DESIGN.md §3): seed, method, arch, regime, image_id, height, width, map (raw signed
float32, row-major), plus method extras.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from authxai.attribution.gradcam import gradcam_shared
from authxai.attribution.lime import (
    explain_from_predictions,
    lime_predictions,
    perturbations,
    slic_segments,
    unnormalize,
)
from authxai.attribution.mpm import mpm_drops
from authxai.attribution.variants import SharedTrunkVariants

METHODS = ("gradcam", "lime", "mpm")


def _gradcam(variants: SharedTrunkVariants, image: torch.Tensor, cfg: dict) -> list[dict[str, Any]]:
    out = variants.trunk(image[None])
    fns = [
        lambda a, head=head, mask=mask: head(variants.tail(a, out.aux, mask))[0]
        for head, mask in zip(variants.heads, variants.masks)
    ]
    maps = gradcam_shared(out.act, fns, image.shape[-2:])[:, 0]
    return [{"map": m.cpu().numpy()} for m in maps]


def _mpm(variants: SharedTrunkVariants, image: torch.Tensor, cfg: dict) -> list[dict[str, Any]]:
    sizes = tuple(cfg["patch_sizes"])
    drops = mpm_drops(variants, image, sizes, cfg["stride"], cfg["batch_size"]).cpu().numpy()
    return [
        {
            "map": d.mean(axis=0),
            "drops": d.astype(np.float32).reshape(len(sizes), -1).tolist(),
            "patch_sizes": list(sizes),
            "stride": cfg["stride"],
        }
        for d in drops
    ]


def _lime(variants: SharedTrunkVariants, image: torch.Tensor, cfg: dict) -> list[dict[str, Any]]:
    segments = slic_segments(unnormalize(image), cfg["n_segments"])
    z = perturbations(int(segments.max()) + 1, cfg["num_samples"], cfg["seed"])
    preds = lime_predictions(variants, image, segments, z, cfg["batch_size"])
    rows = []
    for v in range(preds.shape[1]):
        res = explain_from_predictions(z, preds[:, v], segments)
        rows.append(
            {
                "map": res.map,
                "coefficients": res.coefficients.astype(np.float32).tolist(),
                "intercept": res.intercept,
                "r2": res.r2,
                "n_segments": int(segments.max()) + 1,
                "segments": segments.astype(np.int16).ravel().tolist(),
                "perturbation_seed": cfg["seed"],
                "num_samples": cfg["num_samples"],
                # outputs on the shared perturbations: ensembles refit LIME from these
                "predictions": preds[:, v].astype(np.float32).tolist(),
            }
        )
    return rows


EXPLAINERS = {"gradcam": _gradcam, "lime": _lime, "mpm": _mpm}


def explain_variants(method: str, variants: SharedTrunkVariants, image: torch.Tensor, cfg: dict) -> list[dict]:
    """One row per variant: raw signed map (flattened float32) and the method's extras."""
    rows = EXPLAINERS[method](variants, image, cfg)
    height, width = image.shape[-2:]
    for row in rows:
        row["map"] = np.asarray(row["map"], dtype=np.float32).ravel().tolist()
        row["height"], row["width"] = int(height), int(width)
    return rows


def map_array(row: dict | Any) -> np.ndarray:
    """(H, W) map of one attribution row."""
    return np.asarray(row["map"], dtype=np.float32).reshape(int(row["height"]), int(row["width"]))
