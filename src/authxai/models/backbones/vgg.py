"""VGG (torchvision): cut at the last conv of ``features``; the tail runs the frozen fc6/fc7."""

from __future__ import annotations

import torch
from torch import nn

from authxai.models.backbones.family import Family, as_trunk_output


def _cut(m: nn.Module) -> int:
    """Index after the last conv of ``features`` (features.28 in VGG16, features.34 in VGG19)."""
    return max(i for i, layer in enumerate(m.features) if isinstance(layer, nn.Conv2d)) + 1


def stages(m: nn.Module) -> list[nn.Module]:
    return list(m.features[: _cut(m)])


def tail(m: nn.Module, act: torch.Tensor, aux: torch.Tensor | None) -> torch.Tensor:
    x = torch.flatten(m.avgpool(m.features[_cut(m) :](act)), 1)
    return m.classifier[:5](x)  # fc6, ReLU, Dropout (eval: identity), fc7, ReLU


def embedding(m: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return m.classifier[:5](torch.flatten(m.avgpool(m.features(x)), 1))


FAMILY = Family(stages=stages, finish=as_trunk_output, tail=tail, embedding=embedding, unused_output=("classifier.6",))
