"""Bootstrap confidence intervals for the means every table reports.

A table cell such as "mean within-architecture r" averages over a sample of images (and, where
each image has several maps, over seeds first). :func:`bootstrap_ci` resamples the units the
interval is about (:func:`bootstrap_statistic_ci`: for any statistic of them, such as an R²);
:func:`summarize_with_ci` does it per group of a long table and :func:`format_ci` writes the
``mean [low, high]`` cells. Every table that prints a CI over images prints it through
:func:`ci_text`, which says "n too small" instead under :data:`MIN_CI_UNITS` images (a percentile
bootstrap of 2 images gives an interval such as ``[0.186, 0.186]`` that means nothing).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

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


def correlation_ci(r: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """CI of a Pearson r over ``n`` independent units through Fisher's z (NaNs under 4 units)."""
    from scipy import stats

    if not np.isfinite(r) or n < 4:
        return float("nan"), float("nan")
    z, half = np.arctanh(np.clip(r, -0.999999, 0.999999)), stats.norm.ppf(0.5 + level / 2) / np.sqrt(n - 3)
    return float(np.tanh(z - half)), float(np.tanh(z + half))
