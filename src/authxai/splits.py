"""Train/validation/test assignments (docs/outputs.md, splits).

Experiments 1–2: one fixed 10% test set (the explanation set shared by every variant) and, per
seed, a 70/20 train/validation draw of the rest. Experiment 3: one fixed 20% global test set and,
per seed, 70/10 of the rest. Sizes as the paper's (:func:`split_sizes`: train and validation
rounded down, the test set takes the remainder: 957/273/138 of 1,368 images). Stratified on
binned authenticity MOS; deterministic per seed.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from authxai.errors import InputError

EXPERIMENTS = {
    # experiment: (test share, validation share) of all kept images
    "exp12": (0.1, 0.2),
    "exp3": (0.2, 0.1),
}


def split_sizes(n_images: int, test_share: float, val_share: float) -> dict[str, int]:
    """Image counts per role: train = floor(train share · N), val = floor(val share · N), test =
    the remainder (the paper's 957/273/138 of 1,368 for 70/20/10; 957/136/275 for 70/10/20).

    Shares are taken as the decimals they are written as (0.7 · 70 is 49, not 48.99…). On small
    datasets every role keeps at least one image; fewer than 3 images is an :class:`InputError`.
    """
    if n_images < 3:
        raise InputError(
            f"{n_images} kept image(s): a train/validation/test split needs at least 3 — add images "
            "or relax dataset.exclusion"
        )
    train_share = 1 - Fraction(str(test_share)) - Fraction(str(val_share))
    n_train = math.floor(train_share * n_images)
    # small datasets: every role keeps at least one image (train gives them up)
    n_val = max(1, math.floor(Fraction(str(val_share)) * n_images))
    n_train = min(n_train, n_images - n_val - 1)
    return {"train": n_train, "val": n_val, "test": n_images - n_train - n_val}


def mos_bins(values: np.ndarray, n_bins: int) -> np.ndarray:
    """Quantile bins of ``values`` (fewer bins when there are too few values per bin)."""
    n_bins = max(1, min(n_bins, len(values) // 5))
    ranks = pd.Series(values).rank(method="first").to_numpy()
    return np.minimum((ranks - 1) * n_bins // len(values), n_bins - 1).astype(int)


def _split(y: np.ndarray, n_held: int, seed: int, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """(rest, held) positions: ``n_held`` of ``len(y)`` items held out, stratified on binned ``y``."""
    # stratification needs at least one image per bin on both sides of the split
    bins = mos_bins(y, min(n_bins, n_held, len(y) - n_held))
    rest, held = train_test_split(np.arange(len(y)), test_size=n_held, random_state=seed, stratify=bins)
    return np.sort(rest), np.sort(held)


def make_splits(
    images: pd.DataFrame,
    seeds: list[int],
    base_seed: int = 0,
    n_bins: int = 10,
    experiments: dict[str, tuple[float, float]] = EXPERIMENTS,
) -> pd.DataFrame:
    """Long table (image_id, seed, experiment, role) over the kept images."""
    kept = images[images["kept"]].sort_values("image_id")
    ids = kept["image_id"].to_numpy()
    y = kept["mos_authenticity"].to_numpy()
    rows = []
    for exp, (test_share, val_share) in experiments.items():
        sizes = split_sizes(len(ids), test_share, val_share)
        pool, test = _split(y, sizes["test"], base_seed, n_bins)
        for seed in seeds:
            tr, va = _split(y[pool], sizes["val"], seed, n_bins)
            for role, idx in (("train", pool[tr]), ("val", pool[va]), ("test", test)):
                rows.append(pd.DataFrame({"image_id": ids[idx], "seed": seed, "experiment": exp, "role": role}))
    return pd.concat(rows, ignore_index=True)


def explanation_ids(images: pd.DataFrame, experiment: str = "exp12", base_seed: int = 0, n_bins: int = 10) -> list[str]:
    """The fixed test (explanation) set of an experiment — cheap enough for the DAG."""
    splits = make_splits(images, [0], base_seed, n_bins, {experiment: EXPERIMENTS[experiment]})
    return sorted(splits.loc[splits["role"] == "test", "image_id"])


def explanation_sample(images: pd.DataFrame, ids: list[str], n: int | None) -> list[str]:
    """``n`` explanation images spread evenly over the authenticity MOS range of ``ids``
    (all of them when ``n`` is None), so examples span low to high authenticity."""
    if n is None or n >= len(ids):
        return sorted(ids)
    mos = images.set_index("image_id").loc[ids, "mos_authenticity"].sort_values(kind="stable")
    picks = np.unique(np.round(np.linspace(0, len(mos) - 1, n)).astype(int))
    return sorted(mos.index[picks])


#: Pruning regime -> (experiment whose heads are pruned, split role SBS prunes on).
#: test = Experiment 2 (pruned on the shared explanation set); val = Experiment 3 (pruned on
#: each variant's own validation set, so the global test set stays untouched for ensembles).
REGIMES = {"test": ("exp12", "test"), "val": ("exp3", "val")}


def regime_images(splits: pd.DataFrame, regime: str, seed: int) -> np.ndarray:
    """Image ids that SBS pruning of variant ``seed`` evaluates RMSE on in ``regime``."""
    experiment, role = REGIMES[regime]
    mine = splits[(splits["seed"] == seed) & (splits["experiment"] == experiment) & (splits["role"] == role)]
    return mine["image_id"].to_numpy()


def training_pool_ids(
    images: pd.DataFrame, experiment: str = "exp12", base_seed: int = 0, n_bins: int = 10
) -> list[str]:
    """Kept images outside an experiment's fixed test set (every variant trains or validates on them)."""
    test = set(explanation_ids(images, experiment, base_seed, n_bins))
    return sorted(set(images.loc[images["kept"], "image_id"]) - test)
