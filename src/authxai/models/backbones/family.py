"""What every backbone of one family shares (:class:`Family`), and the trunk's output.

Every backbone is cut at its target convolution (docs/api.md):

* the **trunk** maps an image batch to :class:`TrunkOutput` — the target conv's output
  (``act``, where channel masks of SBS pruning act) plus whatever the rest of the network
  needs that does not flow through it (``aux``: the residual input of ResNet's last block, the
  concatenated earlier features of DenseNet's last dense layer);
* the **tail** maps ``(act, aux)`` (optionally with a channel mask on ``act``) to the pooled
  embedding the regression head reads (VGG: its frozen fc6/fc7, 4096-d).

Each family is one module of this package defining its ``FAMILY`` (vgg, resnet, densenet,
efficientnet, efficientnet_lite); :data:`authxai.models.backbones.split.FAMILIES` collects them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn


class TrunkOutput(NamedTuple):
    """Target-layer activation and the extra tensor the tail needs (or None)."""

    act: torch.Tensor
    aux: torch.Tensor | None = None


def no_stages(m: nn.Module) -> list[nn.Module]:
    """No local stages: the whole trunk is ``finish``."""
    return []


def as_trunk_output(m: nn.Module, x: torch.Tensor) -> TrunkOutput:
    """The last stage's output is the target activation (nothing left to finish)."""
    return TrunkOutput(x)


def same_keys(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Checkpoint keys as they are."""
    return state


@dataclass(frozen=True, kw_only=True)
class Family:
    """What every backbone of one family shares: the trunk and tail forwards at the target
    layer, the unsplit reference embedding (tests check trunk + tail against it), the ImageNet
    output layers the embedding never reaches (not stages of the sanity checks' cascade), the
    checkpoint key renaming, and whether the tail concatenates ``aux`` channels in front of the
    target channels (their position in the embedding, for SBS pruning)."""

    #: The trunk is ``stages`` applied in turn, then ``finish``. Stages are local — an output
    #: pixel depends on a bounded neighbourhood of input pixels (convolutions, pooling, pointwise
    #: ops) — so an occlusion changes only its receptive field in them, which MPM exploits
    #: (authxai.attribution.occlusion); global operations (squeeze-excitation) go in ``finish``.
    stages: Callable[[nn.Module], list[nn.Module]]
    finish: Callable[[nn.Module, torch.Tensor], TrunkOutput]
    tail: Callable[[nn.Module, torch.Tensor, torch.Tensor | None], torch.Tensor]
    embedding: Callable[[nn.Module, torch.Tensor], torch.Tensor]
    unused_output: tuple[str, ...]
    rename_keys: Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]] = same_keys
    aux_before_target: bool = False

    def trunk(self, model: nn.Module, x: torch.Tensor) -> TrunkOutput:
        for stage in self.stages(model):
            x = stage(x)
        return self.finish(model, x)
