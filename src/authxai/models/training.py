"""Training a regression head from cached embeddings (Adam, early stopping on validation MSE)."""

from __future__ import annotations

import copy
import logging
import time

import numpy as np
import pandas as pd
import torch
from torch import nn

from authxai.models.features import rows_for
from authxai.models.heads import RegressionHead

log = logging.getLogger(__name__)


def seed_everything(seed: int) -> torch.Generator:
    """Seed torch (CPU and CUDA) and return a generator for batch order."""
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def train_head(
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_val: torch.Tensor,
    y_val: torch.Tensor,
    hidden: tuple[int, ...],
    seed: int,
    lr: float = 1e-3,
    batch_size: int = 64,
    max_epochs: int = 250,
    patience: int = 15,
    dropout: float = 0.5,
) -> tuple[RegressionHead, pd.DataFrame]:
    """Fit a :class:`RegressionHead` with MSE; restore the weights of the best validation epoch.

    The output bias starts at the training mean so the first epochs are not spent learning
    the scale of the 0–100 MOS. Deterministic on CPU for a given seed.
    """
    gen = seed_everything(seed)
    head = RegressionHead(x_train.shape[1], hidden, dropout)
    with torch.no_grad():
        head.out.bias.fill_(float(y_train.mean()))
    opt = torch.optim.Adam(head.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    best, best_state, wait, rows = np.inf, copy.deepcopy(head.state_dict()), 0, []
    start = time.perf_counter()
    for epoch in range(1, max_epochs + 1):
        head.train()
        order = torch.randperm(len(x_train), generator=gen)
        total = 0.0
        for lo in range(0, len(order), batch_size):
            idx = order[lo : lo + batch_size]
            opt.zero_grad()
            loss = loss_fn(head(x_train[idx])[0], y_train[idx])
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        head.eval()
        with torch.no_grad():
            val = float(loss_fn(head(x_val)[0], y_val))
        rows.append({"epoch": epoch, "train_mse": total / len(order), "val_mse": val})
        if val < best:
            best, best_state, wait = val, copy.deepcopy(head.state_dict()), 0
        else:
            wait += 1
            if wait >= patience:
                break
    head.load_state_dict(best_state)
    head.eval()
    history = pd.DataFrame(rows)
    log.info("seed %d: %d epochs, best val RMSE %.3f (%.1f s)", seed, len(rows), best**0.5, time.perf_counter() - start)
    return head, history


#: Keys of the ``training`` config block that :func:`train_head` takes.
HEAD_TRAINING_KEYS = ("lr", "batch_size", "max_epochs", "patience", "dropout")


def head_training_settings(training: dict) -> dict:
    """The :func:`train_head` keyword arguments of a ``training`` config block."""
    return {key: training[key] for key in HEAD_TRAINING_KEYS}


def role_tensors(
    embeddings: torch.Tensor, ids: list[str], mos: pd.Series, splits: pd.DataFrame, experiment: str, seed: int
) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Role (train, val, …) -> (embeddings, MOS) of one seed's split of an experiment.

    ``ids`` are the feature cache's image ids, ``mos`` is indexed by image id, ``splits`` is the
    make_splits table (seed, experiment, role, image_id).
    """
    mine = splits[(splits["seed"] == seed) & (splits["experiment"] == experiment)]
    data = {}
    for role, sub in mine.groupby("role", sort=False):
        wanted = sub["image_id"].to_numpy()
        data[role] = (embeddings[rows_for(ids, wanted)], torch.tensor(mos.loc[wanted].to_numpy(), dtype=torch.float32))
    return data


@torch.no_grad()
def predict(head: RegressionHead, x: torch.Tensor) -> np.ndarray:
    """Predictions of a head in eval mode as a numpy array."""
    head.eval()
    return head(x)[0].numpy()
