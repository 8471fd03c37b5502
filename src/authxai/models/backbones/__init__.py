"""Backbones, organized the way torchvision organizes its models:

* :mod:`~authxai.models.backbones.registry` — one :class:`ArchSpec` entry per architecture in
  :data:`REGISTRY` (family, constructor, target layer, weights, display ``label``, ``control``);
* :mod:`~authxai.models.backbones.sources` — where real weights come from, as objects
  (:class:`TorchvisionWeights`, :class:`HubFile`, :class:`PackagedStateDict`, :class:`RandomInit`);
* one module per family (:mod:`~authxai.models.backbones.vgg`, ``resnet``, ``densenet``,
  ``efficientnet``, ``efficientnet_lite``), each a :class:`~authxai.models.backbones.family.Family`
  of trunk and tail forwards at the target layer, collected in
  :data:`~authxai.models.backbones.split.FAMILIES` with :func:`split_backbone`;
* :mod:`~authxai.models.backbones.weights` — safe loading (:func:`build_backbone`);
* :mod:`~authxai.models.backbones.batchnorm` — calibration and folding;
* :mod:`~authxai.models.backbones.device` — device and memory layout.

The registry and the weight sources are imported here and import no torch: the workflow reads
the registry while it parses, and the table and figure jobs read labels and controls. Every
other name below is imported from its module (and torch with it) when first asked for, so
``from authxai.models.backbones import build_backbone`` works as before.
"""

from __future__ import annotations

import importlib

from authxai.models.backbones.registry import (
    HEAD_HIDDEN,
    REGISTRY,
    ArchSpec,
    arch_label,
    control_archs,
    get_spec,
)
from authxai.models.backbones.sources import (
    HubFile,
    PackagedStateDict,
    RandomInit,
    TorchvisionWeights,
    WeightSource,
)

#: Names that import torch, by the module that defines them.
_LAZY = {
    "family": ("Family", "TrunkOutput"),
    "split": ("FAMILIES", "Tail", "Trunk", "embedding", "split_backbone", "target_module"),
    "weights": ("RANDOM_INIT_SEED", "build_backbone", "default_weights_path", "load_weights", "read_state_dict"),
    "batchnorm": ("calibrate_batchnorm", "fold_batchnorm"),
    "device": ("on_device", "pick_device"),
}
_MODULE_OF = {name: module for module, names in _LAZY.items() for name in names}

__all__ = [
    "HEAD_HIDDEN",
    "REGISTRY",
    "ArchSpec",
    "HubFile",
    "PackagedStateDict",
    "RandomInit",
    "TorchvisionWeights",
    "WeightSource",
    "arch_label",
    "control_archs",
    "get_spec",
    *_MODULE_OF,
]


def __getattr__(name: str):
    """The torch-importing names, from their modules on first use (PEP 562)."""
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
