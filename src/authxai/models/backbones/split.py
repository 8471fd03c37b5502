"""The trunk/tail split at the registered target layer, one :class:`Family` per family module."""

from __future__ import annotations

import torch
from torch import nn

from authxai.models.backbones import densenet, efficientnet, efficientnet_lite, resnet, vgg
from authxai.models.backbones.family import Family, TrunkOutput
from authxai.models.backbones.registry import get_spec

#: The families, by the name :attr:`ArchSpec.family` gives (one module each).
FAMILIES: dict[str, Family] = {
    "vgg": vgg.FAMILY,
    "resnet": resnet.FAMILY,
    "densenet": densenet.FAMILY,
    "efficientnet": efficientnet.FAMILY,
    "efficientnet_lite": efficientnet_lite.FAMILY,
}


def _mask(act: torch.Tensor, channel_mask: torch.Tensor | None) -> torch.Tensor:
    return act if channel_mask is None else act * channel_mask.view(1, -1, 1, 1).to(act.dtype)


class Trunk(nn.Module):
    """Image batch -> :class:`TrunkOutput` (family-specific forward)."""

    def __init__(self, model: nn.Module, family: str) -> None:
        super().__init__()
        self.model, self.family = model, family

    def forward(self, x: torch.Tensor) -> TrunkOutput:
        return FAMILIES[self.family].trunk(self.model, x)

    def stages(self) -> list[nn.Module]:
        """The local stages the trunk starts with (:attr:`Family.stages`; may be empty)."""
        return FAMILIES[self.family].stages(self.model)

    def finish(self, x: torch.Tensor) -> TrunkOutput:
        """The trunk's output from the last stage's output."""
        return FAMILIES[self.family].finish(self.model, x)


class Tail(nn.Module):
    """(act, aux[, channel_mask]) -> pooled embedding (family-specific forward)."""

    def __init__(self, model: nn.Module, family: str) -> None:
        super().__init__()
        self.model, self.family = model, family

    def forward(
        self, act: torch.Tensor, aux: torch.Tensor | None = None, channel_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        return FAMILIES[self.family].tail(self.model, _mask(act, channel_mask), aux)


def split_backbone(model: nn.Module, name: str) -> tuple[Trunk, Tail]:
    """Trunk and tail of ``model`` (sharing its modules) at the registered target layer."""
    spec = get_spec(name)
    return Trunk(model, spec.family), Tail(model, spec.family)


def embedding(model: nn.Module, name: str, x: torch.Tensor) -> torch.Tensor:
    """The unsplit reference: the backbone's own forward up to the pooled embedding."""
    return FAMILIES[get_spec(name).family].embedding(model, x)


def target_module(model: nn.Module, name: str) -> nn.Module:
    """The registered target conv module (for hooks, e.g. Grad-CAM)."""
    return model.get_submodule(get_spec(name).target_layer)
