"""Ensembles of the pruned variants (Experiment 3, Table 7) and their attributions.

Bagging averages the variants' predictions; stacking fits a linear meta-learner on them with
out-of-fold predictions on the global test set. Both are linear in the variants' outputs, so
an MPM map of the ensemble is the same linear combination of the variants' raw drops (the
constant intercept cancels in f(x) − f(x_masked)); LIME of the ensemble is refit on the
combined predictions of the shared perturbations — no backbone is ever run for an ensemble.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LinearRegression, Ridge, RidgeCV
from sklearn.model_selection import KFold

#: Ridge penalties searched when the meta-learner's alpha is "cv" (inner CV on the training folds).
ALPHAS = tuple(np.logspace(-2, 6, 17))


def meta_learner(alpha: float | str):
    """Linear meta-learner: OLS (alpha 0), ridge (alpha > 0) or ridge with alpha chosen by
    leave-one-out CV on its training data (alpha "cv", stable with many correlated variants)."""
    if alpha == "cv":
        return RidgeCV(alphas=ALPHAS)
    if alpha == 0:
        return LinearRegression()
    return Ridge(alpha=float(alpha))


def bagging(predictions: np.ndarray) -> np.ndarray:
    """Mean over variants of (images, variants) predictions."""
    return np.asarray(predictions, float).mean(axis=1)


def stacking_oof(
    predictions: np.ndarray, y: np.ndarray, n_folds: int = 5, seed: int = 0, alpha: float | str = "cv"
) -> np.ndarray:
    """Out-of-fold stacking predictions: each image is predicted by a meta-learner fit on the
    other folds' (variant predictions, MOS)."""
    x, y = np.asarray(predictions, float), np.asarray(y, float)
    out = np.empty(len(y))
    for train, test in KFold(n_folds, shuffle=True, random_state=seed).split(x):
        out[test] = meta_learner(alpha).fit(x[train], y[train]).predict(x[test])
    return out


@dataclass
class StackingWeights:
    """A meta-learner fit on the whole set: ensemble = weights · variant outputs + intercept."""

    weights: np.ndarray
    intercept: float


def stacking_weights(predictions: np.ndarray, y: np.ndarray, alpha: float | str = "cv") -> StackingWeights:
    """The meta-learner on all images (used to combine attributions)."""
    fit = meta_learner(alpha).fit(np.asarray(predictions, float), np.asarray(y, float))
    return StackingWeights(np.asarray(fit.coef_, float), float(fit.intercept_))


def combine_maps(maps: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Σ_v weights[v] · maps[v] over the leading (variant) axis — the ensemble's MPM drops."""
    maps = np.asarray(maps, np.float64)
    return np.tensordot(np.asarray(weights, np.float64), maps, axes=(0, 0))


def ensemble_weights(kind: str, n_variants: int, stacking: StackingWeights | None = None) -> np.ndarray:
    """Per-variant weights of an ensemble: bagging = 1/V each, stacking = the meta-learner's."""
    if kind == "bagging":
        return np.full(n_variants, 1.0 / n_variants)
    if kind == "stacking" and stacking is not None:
        return stacking.weights
    raise ValueError(f"unknown ensemble {kind!r} (bagging or stacking with weights)")


def ensemble_mpm(drops: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """MPM drops (S, H, W) of a linear ensemble from its variants' raw drops (V, S, H, W)."""
    return combine_maps(drops, weights)


def ensemble_lime(rows: list[dict], weights: np.ndarray, intercept: float = 0.0):
    """LIME of a linear ensemble, refit on the combined outputs of the variants on the shared
    perturbations (same segments, seed and samples in every row)."""
    from authxai.attribution.lime import explain_from_predictions, perturbations

    first = rows[0]
    segments = np.asarray(first["segments"]).reshape(int(first["height"]), int(first["width"]))
    for row in rows[1:]:
        same = (row["perturbation_seed"], row["num_samples"]) == (first["perturbation_seed"], first["num_samples"])
        if not same or not np.array_equal(np.asarray(row["segments"]), np.asarray(first["segments"])):
            raise ValueError(
                f"LIME rows of {first['image_id']} do not share perturbations ({row['arch']} seed {row['seed']}); "
                "rerun lime with one attribution.lime.seed and the same preprocessing for every architecture"
            )
    z = perturbations(int(first["n_segments"]), int(first["num_samples"]), int(first["perturbation_seed"]))
    preds = np.stack([np.asarray(r["predictions"], np.float64) for r in rows], axis=1)
    return explain_from_predictions(z, preds @ np.asarray(weights, np.float64) + intercept, segments)
