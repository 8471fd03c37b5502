"""Attribution methods for scalar-output models (captum-style public API).

* :func:`gradcam` (model, layer, images) -> (B, H, W) signed maps
* :func:`mpm` (model, images, patch_sizes=(3, 17, 65), stride=1) -> (B, S, H, W) raw drops
* :func:`lime` (model, image, n_segments=150, num_samples=1000, seed=0) -> :class:`LimeResult`

The pipeline uses the shared-trunk paths (:mod:`authxai.attribution.variants`) that give the
same numbers for every variant of an architecture at the cost of one trunk pass.
"""

from authxai.attribution.gradcam import gradcam
from authxai.attribution.lime import LimeResult, lime
from authxai.attribution.mpm import mpm

__all__ = ["gradcam", "mpm", "lime", "LimeResult"]
