"""DenseNet (torchvision): cut at the last dense layer's ``conv2``; the concatenated earlier
features travel to the tail as ``aux`` and come before the target channels in the embedding."""

from __future__ import annotations

import re

import torch
from torch import nn

from authxai.models.backbones.family import Family, TrunkOutput


def stages(m: nn.Module) -> list[nn.Module]:
    names = [n for n, _ in m.features.named_children()]
    return [getattr(m.features, name) for name in names[: names.index("denseblock4")]]


def finish(m: nn.Module, x: torch.Tensor) -> TrunkOutput:
    layers = list(m.features.denseblock4.children())
    features = [x]
    for layer in layers[:-1]:
        features.append(layer(features))
    last = layers[-1]
    prev = torch.cat(features, 1)
    act = last.conv2(last.relu2(last.norm2(last.conv1(last.relu1(last.norm1(prev))))))
    return TrunkOutput(act, prev)


def tail(m: nn.Module, act: torch.Tensor, aux: torch.Tensor | None) -> torch.Tensor:
    x = torch.relu(m.features.norm5(torch.cat([aux, act], 1)))
    return torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)


def embedding(m: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return torch.flatten(nn.functional.adaptive_avg_pool2d(torch.relu(m.features(x)), 1), 1)


#: torchvision's published DenseNet checkpoints keep pre-0.4 key names (``norm.1.weight`` for
#: ``norm1.weight``); torchvision renames them on load, and so do we.
_LEGACY_KEY = re.compile(
    r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$"
)


def rename_keys(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    renamed = {}
    for key, value in state.items():
        match = _LEGACY_KEY.match(key)
        renamed[match.group(1) + match.group(2) if match else key] = value
    return renamed


FAMILY = Family(
    stages=stages,
    finish=finish,
    tail=tail,
    embedding=embedding,
    unused_output=("classifier",),
    rename_keys=rename_keys,
    aux_before_target=True,
)
