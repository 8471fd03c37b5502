"""Regression heads of the paper (docs/api.md)."""

from __future__ import annotations

import json

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn

from authxai.errors import fail
from authxai.tables import atomic_write


class RegressionHead(nn.Module):
    """``in_dim -> hidden... -> 1`` with ReLU and dropout after every hidden layer.

    The paper's heads: 2048/2208/1536 -> 512 -> 128 -> 1, VGG 4096 -> 128 -> 1 (dropout 0.5).
    ``forward`` returns the prediction (B,) and the penultimate embedding (B, hidden[-1]),
    which the RSM similarity analysis reads.
    """

    def __init__(self, in_dim: int, hidden: tuple[int, ...] = (512, 128), dropout: float = 0.5) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = in_dim
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
            width = h
        self.body = nn.Sequential(*layers)
        self.out = nn.Linear(width, 1)
        self.in_dim, self.hidden, self.dropout = in_dim, tuple(hidden), dropout

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.body(x)
        return self.out(z).squeeze(-1), z


def n_parameters(module: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def save_head(head: RegressionHead, path, meta: dict[str, str] | None = None) -> None:
    """Write a head as safetensors (atomic) with its shape in the metadata."""
    info = {"in_dim": str(head.in_dim), "hidden": json.dumps(list(head.hidden)), "dropout": str(head.dropout)}
    with atomic_write(path) as tmp:
        save_file(
            {k: v.contiguous() for k, v in head.state_dict().items()}, str(tmp), metadata={**info, **(meta or {})}
        )


def load_head(path) -> RegressionHead:
    """Read a head written by :func:`save_head`; one-line error if unreadable (never unpickles)."""
    try:
        with safe_open(str(path), framework="pt") as fh:
            meta = fh.metadata()
            state = {k: fh.get_tensor(k) for k in fh.keys()}
        head = RegressionHead(int(meta["in_dim"]), tuple(json.loads(meta["hidden"])), float(meta["dropout"]))
        head.load_state_dict(state)
    except Exception as exc:  # safetensors/KeyError/shape errors: the same user-facing problem
        raise fail(
            path, f"unreadable head checkpoint ({type(exc).__name__})", "delete it and rerun train_head"
        ) from exc
    return head.eval()
