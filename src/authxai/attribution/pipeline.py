"""Attributions of every variant of one architecture for one image, as table rows.

One call = one workflow job (method, regime, arch, image): all seeds share the trunk pass
(Grad-CAM, MPM, and LIME's forward batches). LIME draws each variant's own perturbations by
default, as the paper ran LIME once per model: sampling noise is part of the consistency the
study measures; one shared draw (``attribution.lime.shared_samples``) is an opt-in that removes
it. Rows: seed, method, arch, regime, image_id, height, width, map (raw signed float32,
row-major), plus method extras.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from authxai.attribution.gradcam import gradcam_shared
from authxai.attribution.lime import (
    derived_seed,
    explain_from_predictions,
    lime_predictions,
    perturbations,
    slic_segments,
    unnormalize,
)
from authxai.attribution.maps import flat, flat_per_scale
from authxai.attribution.mpm import mpm_drops
from authxai.attribution.variants import SharedTrunkVariants

#: The regime whose variants the ensembles combine: its LIME jobs also record every variant's
#: outputs on the ensemble's own perturbations, so ensemble maps never rerun a backbone.
ENSEMBLE_REGIME = "val"


@dataclass(frozen=True)
class ExplainedVariants:
    """Whom one job explains: the variants ``seeds`` of ``arch`` (pruned in ``regime``) on
    ``image_id``. A seed may repeat (the sanity checks explain one variant's randomized
    copies): repeated seeds get the same LIME draw."""

    arch: str
    regime: str
    image_id: str
    seeds: tuple[int, ...]


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


def _gradcam(variants: SharedTrunkVariants, image: torch.Tensor, cfg: dict, who=None) -> list[dict[str, Any]]:
    out = variants.trunk(image[None])
    fns = [
        lambda a, head=head, mask=mask: head(variants.tail(a, out.aux, mask))[0]
        for head, mask in zip(variants.heads, variants.masks)
    ]
    maps = gradcam_shared(out.act, fns, image.shape[-2:])[:, 0]
    return [{"map": m.cpu().numpy()} for m in maps]


def _mpm(variants: SharedTrunkVariants, image: torch.Tensor, cfg: dict, who=None) -> list[dict[str, Any]]:
    sizes = tuple(cfg["patch_sizes"])
    drops = mpm_drops(variants, image, sizes, cfg["stride"], cfg["batch_size"]).cpu().numpy()
    return [
        {
            "map": d.mean(axis=0),
            "drops": flat_per_scale(d),
            "patch_sizes": list(sizes),
            "stride": cfg["stride"],
        }
        for d in drops
    ]


def _own_draw_predictions(
    variants: SharedTrunkVariants, image: torch.Tensor, segments: np.ndarray, draws: dict[int, np.ndarray], cfg: dict
) -> dict[int, np.ndarray]:
    """Seed -> (num_samples, V) outputs of every variant on that seed's perturbations: all
    draws go through the trunk in one batched pass (a shared draw costs one set, not V)."""
    seeds = list(draws)
    preds = lime_predictions(variants, image, segments, np.concatenate([draws[s] for s in seeds]), cfg["batch_size"])
    n = cfg["num_samples"]
    return {s: preds[k * n : (k + 1) * n] for k, s in enumerate(seeds)}


def _lime(variants: SharedTrunkVariants, image: torch.Tensor, cfg: dict, who: ExplainedVariants | None = None):
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


EXPLAINERS = {"gradcam": _gradcam, "lime": _lime, "mpm": _mpm}


def explain_variants(
    method: str, variants: SharedTrunkVariants, image: torch.Tensor, cfg: dict, who: ExplainedVariants | None = None
) -> list[dict]:
    """One row per variant: raw signed map (flattened float32) and the method's extras.

    ``who`` names the variants (LIME derives their perturbation seeds from it); without it
    every variant shares the draw ``cfg["seed"]``.
    """
    rows = EXPLAINERS[method](variants, image, cfg, who)
    height, width = image.shape[-2:]
    for row in rows:
        row["map"] = flat(row["map"])
        row["height"], row["width"] = int(height), int(width)
    return rows
