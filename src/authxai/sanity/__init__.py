"""Sanity checks for saliency maps (Adebayo et al. 2018), for regression heads on frozen trunks.

A map that explains *the model* must change when the model is destroyed. Two tests:

- **model-parameter randomization**: re-initialize the regression head, then additionally the
  backbone's stages from the top (output side) down (:func:`cascade_stages`,
  :func:`randomized_backbone`);
- **data randomization**: train the head on permuted ratings (:func:`permuted_targets`), so it
  can only memorize noise.

The randomized model's map is compared with the original's (:func:`map_similarity`: Spearman
rank correlation of the magnitudes, as in Adebayo et al., and SSIM of the max-normalized
magnitudes). A method *passes* a test when the bootstrap 95% CI of the mean Spearman r over
images (at least :data:`MIN_SANITY_IMAGES`) lies below a threshold, *fails* when it lies above,
and is *inconclusive* otherwise (:func:`sanity_verdicts`); a method whose maps stay put (an edge
detector) fails.
"""

from __future__ import annotations

import importlib
from typing import Any

from authxai.sanity.verdicts import (
    MIN_SANITY_IMAGES,
    SIMILARITIES,
    VERDICTS,
    ci_verdict,
    map_similarity,
    randomization_similarity,
    sanity_verdicts,
)

#: What :mod:`authxai.sanity.randomization` (torch) provides, imported on first use: the
#: verdicts are read by jobs that never load a model.
_RANDOMIZATION = (
    "cascade_stages",
    "randomized_backbone",
    "reinitialized_head",
    "permuted_targets",
    "randomization_maps",
)


def __getattr__(name: str) -> Any:
    if name in _RANDOMIZATION:
        return getattr(importlib.import_module("authxai.sanity.randomization"), name)
    raise AttributeError(f"module 'authxai.sanity' has no attribute {name!r}")


__all__ = [
    "MIN_SANITY_IMAGES",
    "SIMILARITIES",
    "VERDICTS",
    "ci_verdict",
    "map_similarity",
    "randomization_similarity",
    "sanity_verdicts",
    *_RANDOMIZATION,
]
