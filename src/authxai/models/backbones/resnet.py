"""ResNet (torchvision; also Barlow Twins' ResNet-50): cut at the last block's ``conv3``; the
block's residual input travels to the tail as ``aux``."""

from __future__ import annotations

import torch
from torch import nn

from authxai.models.backbones.family import Family, TrunkOutput


def stages(m: nn.Module) -> list[nn.Module]:
    stem = nn.Sequential(m.conv1, m.bn1, m.relu, m.maxpool)
    return [stem, *m.layer1, *m.layer2, *m.layer3, *m.layer4[:-1]]


def finish(m: nn.Module, x: torch.Tensor) -> TrunkOutput:
    block = m.layer4[-1]
    identity = x if block.downsample is None else block.downsample(x)
    out = block.relu(block.bn1(block.conv1(x)))
    out = block.relu(block.bn2(block.conv2(out)))
    return TrunkOutput(block.conv3(out), identity)


def tail(m: nn.Module, act: torch.Tensor, aux: torch.Tensor | None) -> torch.Tensor:
    block = m.layer4[-1]
    return torch.flatten(m.avgpool(block.relu(block.bn3(act) + aux)), 1)


def embedding(m: nn.Module, x: torch.Tensor) -> torch.Tensor:
    fc, m.fc = m.fc, nn.Identity()
    try:
        return m(x)
    finally:
        m.fc = fc


FAMILY = Family(stages=stages, finish=finish, tail=tail, embedding=embedding, unused_output=("fc",))
