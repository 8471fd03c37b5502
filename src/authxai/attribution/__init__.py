"""Attribution methods for scalar-output models (captum-style public API), one module each:

* :func:`authxai.attribution.gradcam.gradcam` (model, layer, images) -> (B, H, W) signed maps
* :func:`authxai.attribution.mpm.mpm` (model, images, patch_sizes=(3, 17, 65), stride=1)
  -> (B, S, H, W) raw drops
* :func:`authxai.attribution.lime.lime` (model, image, n_segments=150, num_samples=1000, seed=0)
  -> :class:`authxai.attribution.lime.LimeResult`

The pipeline uses the shared-trunk paths (:mod:`authxai.attribution.variants`) that give the
same numbers for every variant of an architecture at the cost of one trunk pass.

``from authxai.attribution import gradcam, lime, mpm`` gives these three functions. The package
imports nothing itself: most jobs only read maps (:mod:`authxai.attribution.maps`) and the
method registry (:mod:`authxai.attribution.methods`), and importing the methods, and with them
torch, would add ~2 s of start-up to each of ~50 jobs of the embedded study; so each function
is imported from its module when first asked for.

A module-level ``__getattr__`` alone would not do: importing a submodule binds it on the package
under its own name (``gradcam``), and from then on the module, not the function, answers. The
names are therefore properties of the package's module type, which the import system's binding
cannot replace. (``import authxai.attribution.gradcam as m`` hence gives the function too; import
the modules as ``from authxai.attribution.gradcam import ...``.)
"""

from __future__ import annotations

import importlib
import sys
import types

#: The functions named like their modules.
__all__ = ["gradcam", "lime", "mpm"]


def _function(name: str) -> property:
    """The function ``name`` of the submodule ``name``, imported on first access."""

    def get(package: types.ModuleType):
        return getattr(importlib.import_module(f"{__name__}.{name}"), name)

    def bind(package: types.ModuleType, value: object) -> None:
        """Ignore the import system binding the submodule here (the function stays)."""

    return property(get, bind, doc=f"authxai.attribution.{name}.{name}")


class _Package(types.ModuleType):
    """This package's module type: the method names are its functions."""

    gradcam = _function("gradcam")
    lime = _function("lime")
    mpm = _function("mpm")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


sys.modules[__name__].__class__ = _Package
