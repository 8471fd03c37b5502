"""LIME's surrogate fit, torch-free: perturbation draws, kernel weights, the weighted ridge, and
refits on halves of a stored draw.

Matches the ``lime`` package (0.2.0.1): perturbation rows keep each superpixel with
probability 0.5 (row 0 keeps all), distances are cosine distances to the all-ones vector (the
explained instance), weights LIME's exponential kernel ``sqrt(exp(-d² / w²))`` with
``w = 0.25``, and the surrogate is ``Ridge(alpha=1)`` with intercept (i.e. on weighted-centred
targets); fidelity is its weighted R². The jobs that only refit (ensemble maps, consistency)
import this module, not :mod:`authxai.attribution.lime` (which runs models: torch).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KERNEL_WIDTH = 0.25


@dataclass
class LimeResult:
    """One LIME explanation: per-pixel map, per-superpixel coefficients, segments, fidelity."""

    map: np.ndarray
    coefficients: np.ndarray
    intercept: float
    r2: float
    segments: np.ndarray


def perturbations(n_features: int, num_samples: int, seed: int) -> np.ndarray:
    """(num_samples, K) 0/1 matrix; row 0 keeps everything (the explained instance)."""
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 2, (num_samples, n_features)).astype(np.float64)
    z[0] = 1.0
    return z


def kernel_weights(z: np.ndarray, width: float = KERNEL_WIDTH) -> np.ndarray:
    """LIME's weights: exponential kernel of each row's cosine distance to the all-ones vector
    (the explained instance: the ``lime`` package measures to ``z[0]``, which is that vector,
    so any subset of a draw's rows gets the weights it has in the whole draw)."""
    from sklearn.metrics import pairwise_distances

    d = pairwise_distances(z, np.ones((1, z.shape[1])), metric="cosine").ravel()
    return np.sqrt(np.exp(-(d**2) / width**2))


def fit_surrogate(
    z: np.ndarray, y: np.ndarray, weights: np.ndarray, alpha: float = 1.0
) -> tuple[np.ndarray, float, float]:
    """Weighted ridge on all superpixels: (coefficients, intercept, weighted R²)."""
    from sklearn.linear_model import Ridge

    reg = Ridge(alpha=alpha, fit_intercept=True)
    reg.fit(z, y, sample_weight=weights)
    return reg.coef_.copy(), float(reg.intercept_), float(reg.score(z, y, sample_weight=weights))


def explain_from_predictions(z: np.ndarray, y: np.ndarray, segments: np.ndarray) -> LimeResult:
    """Surrogate fit and per-pixel map (coefficient of each pixel's superpixel)."""
    coef, intercept, r2 = fit_surrogate(z, y, kernel_weights(z))
    return LimeResult(coef[segments].astype(np.float32), coef, intercept, r2, segments)


def split_half_explanations(z: np.ndarray, y: np.ndarray, segments: np.ndarray) -> tuple[LimeResult, LimeResult]:
    """LIME refit on each half of one draw: rows [0, n/2) and [n/2, n) of ``z`` and the
    outputs ``y`` on them — two explanations of the same model whose sampling noise is
    independent, each from n/2 samples."""
    half = len(z) // 2
    return (
        explain_from_predictions(z[:half], y[:half], segments),
        explain_from_predictions(z[half:], y[half:], segments),
    )
