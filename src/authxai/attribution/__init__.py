"""Attribution methods for scalar-output models (captum-style public API), one module each:

* :func:`authxai.attribution.gradcam.gradcam` (model, layer, images) -> (B, H, W) signed maps
* :func:`authxai.attribution.mpm.mpm` (model, images, patch_sizes=(3, 17, 65), stride=1)
  -> (B, S, H, W) raw drops
* :func:`authxai.attribution.lime.lime` (model, image, n_segments=150, num_samples=1000, seed=0)
  -> :class:`authxai.attribution.lime.LimeResult`

The pipeline uses the shared-trunk paths (:mod:`authxai.attribution.variants`) that give the
same numbers for every variant of an architecture at the cost of one trunk pass.

This package imports nothing itself: most jobs only read maps (:mod:`authxai.attribution.maps`)
and the method registry (:mod:`authxai.attribution.methods`), and importing the methods, and
with them torch, would add ~2 s of start-up to each of ~50 jobs of the embedded study.
"""
