"""Attributions of every variant of one architecture for one image, as table rows.

One call = one workflow job (method, regime, arch, image): all seeds share the trunk pass
(Grad-CAM, MPM, and LIME's forward batches). LIME draws each variant's own perturbations by
default, as the paper ran LIME once per model: sampling noise is part of the consistency the
study measures; one shared draw (``attribution.lime.shared_samples``) is an opt-in that shares
it between the variants' maps (the consistency stage then estimates the independent r from split
halves of the draw: :mod:`authxai.consistency_lime`). Rows: the table format of
:mod:`authxai.attribution.maps` — seed, method, arch, regime, image_id, height, width, map (raw
signed float32, row-major), plus the method's columns
(:attr:`authxai.attribution.methods.Method.columns`).
"""

from __future__ import annotations

import torch

from authxai.attribution.maps import flat
from authxai.attribution.methods import get_method
from authxai.attribution.variants import ExplainedVariants, SharedTrunkVariants


def explain_variants(
    method: str, variants: SharedTrunkVariants, image: torch.Tensor, cfg: dict, who: ExplainedVariants | None = None
) -> list[dict]:
    """One row per variant: raw signed map (flattened float32) and the method's extras.

    ``who`` names the variants (LIME derives their perturbation seeds from it); without it
    every variant shares the draw ``cfg["seed"]``.
    """
    rows = get_method(method).rows(variants, image, cfg, who)
    height, width = image.shape[-2:]
    for row in rows:
        row["map"] = flat(row["map"])
        row["height"], row["width"] = int(height), int(width)
    return rows
