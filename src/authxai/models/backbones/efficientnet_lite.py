"""EfficientNet-Lite (timm): cut at ``conv_head``; every block is local."""

from __future__ import annotations

import torch
from torch import nn

from authxai.models.backbones.family import Family, as_trunk_output


def stages(m: nn.Module) -> list[nn.Module]:
    # EfficientNet-Lite has no squeeze-excitation: every block is local
    return [nn.Sequential(m.conv_stem, m.bn1), *(block for stage in m.blocks for block in stage), m.conv_head]


def tail(m: nn.Module, act: torch.Tensor, aux: torch.Tensor | None) -> torch.Tensor:
    return m.global_pool(m.bn2(act))


def embedding(m: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return m.forward_head(m.forward_features(x), pre_logits=True)


FAMILY = Family(stages=stages, finish=as_trunk_output, tail=tail, embedding=embedding, unused_output=("classifier",))
