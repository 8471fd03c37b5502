"""The memory layout inference runs convolutions in.

PyTorch stores a convolution's weights channels first (NCHW). On a CPU, oneDNN's convolutions
are much faster channels last (NHWC) — EfficientNet-Lite's depthwise convolutions most of all —
and a convolution whose weights are channels last returns its output channels last, so the whole
trunk then runs in that layout whatever the input's (``benchmarks/channels_last.py`` measures
it). The outputs are the same up to float32 summation order.
"""

from __future__ import annotations

import torch
from torch import nn


def channels_last(module: nn.Module) -> nn.Module:
    """``module`` (in place) with every 4-D parameter and buffer in channels-last layout."""
    return module.to(memory_format=torch.channels_last)


__all__ = ["channels_last"]
