"""Experiment 1: prediction performance and whether it goes beyond quality (Tables 2–3)."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from authxai.uncertainty import bootstrap_ci


def regression_metrics(y: np.ndarray, y_hat: np.ndarray) -> dict[str, float]:
    """RMSE, Pearson (PLCC) and Spearman (SRCC) of predictions."""
    y, y_hat = np.asarray(y, float), np.asarray(y_hat, float)
    return {
        "rmse": float(np.sqrt(np.mean((y - y_hat) ** 2))),
        "plcc": float(stats.pearsonr(y, y_hat)[0]),
        "srcc": float(stats.spearmanr(y, y_hat)[0]),
    }


def _rowwise_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    return (a * b).sum(axis=1) / np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))


#: Metric -> the metric of every row of (replicates, images) arrays at once.
ROWWISE_METRICS = {
    "rmse": lambda y, p: np.sqrt(np.mean((y - p) ** 2, axis=1)),
    "plcc": _rowwise_pearson,
    "srcc": lambda y, p: _rowwise_pearson(stats.rankdata(y, axis=1), stats.rankdata(p, axis=1)),
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
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(y), size=(n_boot, len(y)))
    fn = ROWWISE_METRICS[metric]
    with np.errstate(invalid="ignore", divide="ignore"):  # a replicate of one repeated image has no r
        replicates = np.mean([fn(y[idx], predictions[idx, v]) for v in range(predictions.shape[1])], axis=0)
    alpha = (1 - level) / 2
    low, high = np.nanquantile(replicates, [alpha, 1 - alpha])
    return float(low), float(high)


def partial_r(y: np.ndarray, y_hat: np.ndarray, control: np.ndarray) -> float:
    """Partial correlation r(y, ŷ | control) from the three pairwise Pearson correlations."""
    r = np.corrcoef(np.vstack([y, y_hat, control]))
    r_yp, r_yc, r_pc = r[0, 1], r[0, 2], r[1, 2]
    return float((r_yp - r_yc * r_pc) / np.sqrt((1 - r_yc**2) * (1 - r_pc**2)))


def mean_pairwise_r(matrix: np.ndarray) -> float:
    """Mean Pearson correlation over all pairs of rows (variants × items)."""
    rows = np.asarray(matrix, float)
    return float(np.mean([stats.pearsonr(rows[i], rows[j])[0] for i, j in combinations(range(len(rows)), 2)]))


def variant_metrics(predictions: pd.DataFrame) -> pd.DataFrame:
    """Per variant (arch, seed) on its test images: RMSE, PLCC, SRCC, r(ŷ, quality), partial r."""
    rows = []
    test = predictions[predictions["role"] == "test"]
    for (arch, seed), sub in test.groupby(["arch", "seed"], sort=True):
        row = {"arch": arch, "seed": seed, "n_test": len(sub), **regression_metrics(sub["y"], sub["y_hat"])}
        if sub["quality"].notna().all():
            row["r_quality"] = float(stats.pearsonr(sub["y_hat"], sub["quality"])[0])
            row["partial_r"] = partial_r(sub["y"].to_numpy(), sub["y_hat"].to_numpy(), sub["quality"].to_numpy())
        rows.append(row)
    return pd.DataFrame(rows)


def mean_sd(values) -> str:
    """ "mean ± SD" (sample SD) of a sequence, as the paper's tables print it."""
    values = np.asarray(values, float)
    return f"{values.mean():.3f} ± {values.std(ddof=1):.3f}" if len(values) > 1 else f"{values.mean():.3f}"


def with_ci(cell: str, low: float, high: float) -> str:
    """A table cell followed by its 95% CI: ``0.712 ± 0.010 [0.680, 0.741]``."""
    return f"{cell} [{low:.3f}, {high:.3f}]"


def table2(
    metrics: pd.DataFrame,
    predictions: pd.DataFrame,
    human_reliability: float | None,
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Table 2: per architecture mean ± SD of RMSE/PLCC/SRCC [95% CI over test images],
    the 95% CI of the mean PLCC over seeds, model reliability and ceiling.

    Model reliability = mean pairwise Pearson of the variants' test predictions (the test set
    is shared by every variant); ceiling = sqrt(human Spearman–Brown reliability × model
    reliability).
    """
    rows = []
    for arch, sub in metrics.groupby("arch", sort=False):
        test = predictions[(predictions["arch"] == arch) & (predictions["role"] == "test")]
        wide = test.pivot_table(index="seed", columns="image_id", values="y_hat")
        rel = mean_pairwise_r(wide.to_numpy()) if len(wide) > 1 else np.nan
        ceiling = np.sqrt(human_reliability * rel) if human_reliability is not None and rel > 0 else np.nan
        y = test.groupby("image_id")["y"].first().loc[wide.columns].to_numpy()
        cells = {
            m: with_ci(mean_sd(sub[m]), *image_bootstrap_ci(y, wide.to_numpy().T, m, n_boot, seed))
            for m in ("rmse", "plcc", "srcc")
        }
        _, low, high = bootstrap_ci(sub["plcc"].to_numpy(), n_boot=n_boot, seed=seed)
        rows.append(
            {
                "arch": arch,
                "variants": len(sub),
                **cells,
                "plcc_ci_seeds": f"[{low:.3f}, {high:.3f}]",
                "plcc_mean": sub["plcc"].mean(),
                "rmse_mean": sub["rmse"].mean(),
                "model_reliability": rel,
                "ceiling": ceiling,
            }
        )
    return pd.DataFrame(rows)


def table3(metrics: pd.DataFrame) -> pd.DataFrame:
    """Table 3: r(ŷ, quality) and partial r(y, ŷ | quality) per architecture, with a one-sample
    t-test of the partial correlations over variants against 0."""
    rows = []
    for arch, sub in metrics.groupby("arch", sort=False):
        if "partial_r" not in sub or sub["partial_r"].isna().all():
            continue
        t, p = stats.ttest_1samp(sub["partial_r"], 0.0) if len(sub) > 1 else (np.nan, np.nan)
        rows.append(
            {
                "arch": arch,
                "r_quality": mean_sd(sub["r_quality"]),
                "partial_r": mean_sd(sub["partial_r"]),
                "partial_r_mean": sub["partial_r"].mean(),
                "t": t,
                "df": len(sub) - 1,
                "p": p,
            }
        )
    return pd.DataFrame(rows)
