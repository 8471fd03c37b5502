"""EfficientNet (torchvision): cut at ``features.8.0``, the 1x1 head conv."""

from __future__ import annotations

import torch
from torch import nn

from authxai.models.backbones.family import Family, TrunkOutput, no_stages


def finish(m: nn.Module, x: torch.Tensor) -> TrunkOutput:
    # squeeze-excitation in every MBConv block: global from the first block on, so no local stages
    return TrunkOutput(m.features[8][0](m.features[:8](x)))


def tail(m: nn.Module, act: torch.Tensor, aux: torch.Tensor | None) -> torch.Tensor:
    return torch.flatten(m.avgpool(m.features[8][2](m.features[8][1](act))), 1)


def embedding(m: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return torch.flatten(m.avgpool(m.features(x)), 1)


FAMILY = Family(stages=no_stages, finish=finish, tail=tail, embedding=embedding, unused_output=("classifier",))
