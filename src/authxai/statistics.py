"""The statistics every table reports, in one place: bootstrap CIs, correlations, Fisher's z,
Mantel tests and the reliability formulas.

**Bootstrap.** A table cell such as "mean within-architecture r" averages over a sample of
images (and, where each image has several maps, over seeds first). :func:`bootstrap_ci`
resamples the units the interval is about (:func:`bootstrap_statistic_ci`: for any statistic of
them, such as an R²; :func:`image_bootstrap_ci`: a metric of paired predictions);
:func:`summarize_with_ci` does it per group of a long table and :func:`format_ci` writes the
``mean [low, high]`` cells. Every table that prints a CI over images prints it through
:func:`ci_text`, which says "n too small" instead under :data:`MIN_CI_UNITS` images (a percentile
bootstrap of 2 images gives an interval such as ``[0.186, 0.186]`` that means nothing).

**Correlations.** :func:`pearson` (NaN for a constant input), :func:`relation` (r, p and n of
two per-image quantities), :func:`mean_pairwise_r`, :func:`partial_r`; through Fisher's z:
:func:`correlation_ci` and :func:`fisher_mean`; :func:`mantel` for matrices of pairwise values;
:func:`spearman_brown` and :func:`cohens_d_paired`.

scipy is imported where a function needs it: the module is read by jobs that only format
tables.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from itertools import combinations

import numpy as np
import pandas as pd


def bootstrap_statistic_ci(
    statistic: Callable[[np.ndarray], np.ndarray], n: int, n_boot: int = 2000, level: float = 0.95, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap CI of any statistic of ``n`` units (images, seeds).

    ``statistic`` takes an (n_boot, n) array of resampled unit indices and returns the
    statistic of each resample, shape (n_boot,) or (n_boot, k) for k statistics at once (e.g.
    one per variant on the same resampled images). Resamples where it is NaN (a correlation of
    units that happen to be all alike) are left out of the percentiles. Returns (low, high),
    each a float or shape (k,).
    """
    rng = np.random.default_rng(seed)
    values = np.asarray(statistic(rng.integers(0, n, size=(n_boot, n))), dtype=np.float64)
    alpha = (1 - level) / 2
    with warnings.catch_warnings():  # a statistic NaN in every resample has a NaN interval
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanquantile(values, [alpha, 1 - alpha], axis=0)
    return low, high


def bootstrap_ci(
    values: np.ndarray, n_boot: int = 2000, level: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """Mean and percentile bootstrap CI of the mean of ``values`` (NaNs dropped).

    Resamples the values (images, or seeds) with replacement ``n_boot`` times. One value gives
    a zero-width interval at that value; none gives NaNs.
    """
    values = np.asarray(values, dtype=np.float64)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return (float("nan"),) * 3
    low, high = bootstrap_statistic_ci(lambda idx: values[idx].mean(axis=1), values.size, n_boot, level, seed)
    return float(values.mean()), float(low), float(high)


def summarize_with_ci(
    long: pd.DataFrame,
    by: Sequence[str],
    scores: Sequence[str],
    unit: str = "image_id",
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """Per group of ``by``: each score's mean and bootstrap CI over ``unit``.

    Rows of one unit within a group (e.g. the seeds of an architecture on one image) are first
    averaged, so the bootstrap resamples the unit the interval is about. Columns: ``by``,
    ``n_<unit>``, and ``<score>``, ``<score>_low``, ``<score>_high`` per score.
    """
    by = list(by)
    per_unit = long.groupby([*by, unit], sort=False)[list(scores)].mean().reset_index()
    rows = []
    for key, sub in per_unit.groupby(by, sort=False):
        row = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        row[f"n_{unit}"] = len(sub)
        for score in scores:
            mean, low, high = bootstrap_ci(sub[score].to_numpy(), n_boot=n_boot, level=level, seed=seed)
            row.update({score: mean, f"{score}_low": low, f"{score}_high": high})
        rows.append(row)
    return pd.DataFrame(rows)


#: Fewest units (images) a printed bootstrap CI rests on; under it the cell says :data:`TOO_FEW`.
MIN_CI_UNITS = 10
TOO_FEW = "n too small"


def ci_text(low: float, high: float, n: int | None = None, fmt: str = ".3f") -> str:
    """The bracket of a table cell: ``[low, high]``, or ``[n too small]`` when the interval
    rests on fewer than :data:`MIN_CI_UNITS` units (``n``; None: not known, printed as is)."""
    if n is not None and n < MIN_CI_UNITS:
        return f"[{TOO_FEW}]"
    return f"[{low:{fmt}}, {high:{fmt}}]"


def format_ci(mean: float, low: float, high: float, fmt: str = ".2f", n: int | None = None) -> str:
    """``mean [low, high]`` for a table cell (:func:`ci_text`: ``mean [n too small]`` under
    :data:`MIN_CI_UNITS` units ``n``)."""
    return f"{mean:{fmt}} {ci_text(low, high, n, fmt)}"


def ci_cells(summary: pd.DataFrame, scores: Sequence[str], fmt: str = ".2f", n: str | None = None) -> pd.DataFrame:
    """One text column per score (``mean [low, high]``) from :func:`summarize_with_ci` output;
    ``n`` names the column counting each row's units (images), checked by :func:`ci_text`."""
    counts = summary[n].to_numpy() if n is not None else [None] * len(summary)
    return pd.DataFrame(
        {
            score: [
                format_ci(m, lo, hi, fmt, None if k is None else int(k))
                for (m, lo, hi), k in zip(summary[[score, f"{score}_low", f"{score}_high"]].to_numpy(), counts)
            ]
            for score in scores
        },
        index=summary.index,
    )


# ------------------------------------------------------------------------------ bootstrap of metrics


def _rowwise_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    return (a * b).sum(axis=1) / np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))


def _rowwise_spearman(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    from scipy import stats

    return _rowwise_pearson(stats.rankdata(a, axis=1), stats.rankdata(b, axis=1))


#: Metric -> the metric of every row of (replicates, images) arrays at once (the rows of
#: :func:`authxai.evaluation.regression_metrics`).
ROWWISE_METRICS = {
    "rmse": lambda y, p: np.sqrt(np.mean((y - p) ** 2, axis=1)),
    "plcc": _rowwise_pearson,
    "srcc": _rowwise_spearman,
}


def image_bootstrap_ci(
    y: np.ndarray, predictions: np.ndarray, metric: str, n_boot: int = 2000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile CI over test images of a metric averaged over variants.

    ``predictions`` is (images, variants) on one shared test set; every replicate resamples the
    images once for all variants (they are paired), computes ``metric`` per variant and averages.
    """
    y = np.asarray(y, float)
    predictions = np.asarray(predictions, float).reshape(len(y), -1)
    fn = ROWWISE_METRICS[metric]

    def replicates(idx: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):  # a replicate of one repeated image has no r
            return np.mean([fn(y[idx], predictions[idx, v]) for v in range(predictions.shape[1])], axis=0)

    low, high = bootstrap_statistic_ci(replicates, len(y), n_boot=n_boot, level=level, seed=seed)
    return float(low), float(high)


# ------------------------------------------------------------------------------ correlations


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r of two arrays, flattened (NaN when one is constant)."""
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def relation(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Pearson r, p and n of two per-image quantities (NaN when fewer than 3 images)."""
    from scipy import stats

    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or np.std(x[ok]) == 0 or np.std(y[ok]) == 0:
        return {"r": float("nan"), "p": float("nan"), "n": int(ok.sum())}
    r, p = stats.pearsonr(x[ok], y[ok])
    return {"r": float(r), "p": float(p), "n": int(ok.sum())}


def mean_pairwise_r(matrix: np.ndarray) -> float:
    """Mean Pearson correlation over all pairs of rows (variants × items)."""
    from scipy import stats

    rows = np.asarray(matrix, float)
    return float(np.mean([stats.pearsonr(rows[i], rows[j])[0] for i, j in combinations(range(len(rows)), 2)]))


def partial_r(y: np.ndarray, y_hat: np.ndarray, control: np.ndarray) -> float:
    """Partial correlation r(y, ŷ | control) from the three pairwise Pearson correlations."""
    r = np.corrcoef(np.vstack([y, y_hat, control]))
    r_yp, r_yc, r_pc = r[0, 1], r[0, 2], r[1, 2]
    return float((r_yp - r_yc * r_pc) / np.sqrt((1 - r_yc**2) * (1 - r_pc**2)))


# ------------------------------------------------------------------------------ Fisher's z


def correlation_ci(r: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """CI of a Pearson r over ``n`` independent units through Fisher's z (NaNs under 4 units)."""
    from scipy import stats

    if not np.isfinite(r) or n < 4:
        return float("nan"), float("nan")
    z, half = np.arctanh(np.clip(r, -0.999999, 0.999999)), stats.norm.ppf(0.5 + level / 2) / np.sqrt(n - 3)
    return float(np.tanh(z - half)), float(np.tanh(z + half))


def fisher_mean(rs: np.ndarray) -> float:
    """Mean of correlations through Fisher's z (arctanh), back-transformed."""
    rs = np.clip(np.asarray(rs, float), -0.999999, 0.999999)
    return float(np.tanh(np.mean(np.arctanh(rs))))


# ------------------------------------------------------------------------------ Mantel


def mantel(a: np.ndarray, b: np.ndarray, n_permutations: int = 2000, seed: int = 0) -> dict[str, float]:
    """Mantel test of two symmetric (V, V) matrices of pairwise values: Pearson r of their upper
    triangles and a two-sided permutation p (rows and columns of ``b`` permuted together, so the
    dependence of pairs that share a variant is respected; p = (1 + #|r_perm| ≥ |r|) / (1 + n)).
    NaN with fewer than 3 pairs or a constant triangle; p is NaN when a pair's value is missing
    (a constant map or prediction has no correlation): a permutation would move the gap.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    upper = np.triu_indices(len(a), k=1)
    res = relation(a[upper], b[upper])
    if not np.isfinite(res["r"]):
        return {"r": float("nan"), "p": float("nan"), "pairs": res["n"]}
    if not (np.isfinite(a[upper]).all() and np.isfinite(b[upper]).all()):
        return {"r": res["r"], "p": float("nan"), "pairs": res["n"]}
    rng = np.random.default_rng(seed)
    orders = np.stack([rng.permutation(len(b)) for _ in range(n_permutations)])
    permuted = b[orders[:, upper[0]], orders[:, upper[1]]]  # (permutations, pairs)
    x = a[upper] - a[upper].mean()
    centred = permuted - permuted.mean(axis=1, keepdims=True)
    r_perm = centred @ x / np.sqrt((centred**2).sum(axis=1) * (x**2).sum())
    hits = int(np.sum(np.abs(r_perm) >= abs(res["r"]) - 1e-12))
    return {"r": res["r"], "p": (1 + hits) / (1 + n_permutations), "pairs": res["n"]}


# ------------------------------------------------------------------------------ reliability, effect size


def spearman_brown(r: float | np.ndarray, factor: float = 2.0) -> float | np.ndarray:
    """Spearman–Brown prophecy: reliability of a test ``factor`` times as long."""
    return factor * r / (1.0 + (factor - 1.0) * r)


def cohens_d_paired(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's d for paired samples: mean difference over SD of differences."""
    diff = np.asarray(a, float) - np.asarray(b, float)
    return float(diff.mean() / diff.std(ddof=1))
