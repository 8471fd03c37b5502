"""Evaluation tables: prediction performance and whether it goes beyond quality (Experiment 1,
Tables 2–3), unpruned vs pruned heads (appendix) and LIME's surrogate fidelity (Table A.2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from authxai.statistics import bootstrap_ci, ci_text, image_bootstrap_ci, mean_pairwise_r, partial_r


def regression_metrics(y: np.ndarray, y_hat: np.ndarray) -> dict[str, float]:
    """RMSE, Pearson (PLCC) and Spearman (SRCC) of predictions."""
    y, y_hat = np.asarray(y, float), np.asarray(y_hat, float)
    return {
        "rmse": float(np.sqrt(np.mean((y - y_hat) ** 2))),
        "plcc": float(stats.pearsonr(y, y_hat)[0]),
        "srcc": float(stats.spearmanr(y, y_hat)[0]),
    }


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
    """ "mean ± SD" (sample SD) of a sequence, as the paper's tables print it; NaN entries (an
    undefined correlation) are left out, as the bootstrap CIs and numeric means leave them out."""
    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    return f"{values.mean():.3f} ± {values.std(ddof=1):.3f}" if len(values) > 1 else f"{values.mean():.3f}"


def with_ci(cell: str, low: float, high: float, n: int | None = None) -> str:
    """A table cell followed by its 95% CI over ``n`` images: ``0.712 ± 0.010 [0.680, 0.741]``
    (``[n too small]`` under :data:`authxai.statistics.MIN_CI_UNITS` images)."""
    return f"{cell} {ci_text(low, high, n)}"


def mean_sd_ci_cells(values: pd.DataFrame, columns, n_boot: int = 2000, seed: int = 0) -> dict:
    """Per column of ``values`` (one row per unit, e.g. image): the cell ``mean ± SD [95%
    bootstrap CI of the mean over rows]`` and the numeric ``<column>_mean``."""
    cells = {}
    for col in columns:
        _, low, high = bootstrap_ci(values[col].to_numpy(), n_boot=n_boot, seed=seed)
        cells[col] = with_ci(mean_sd(values[col]), low, high, int(values[col].notna().sum()))
        cells[f"{col}_mean"] = values[col].mean()
    return cells


def performance_cells(
    y: np.ndarray, predictions: np.ndarray, n_boot: int = 2000, seed: int = 0, metrics=("rmse", "plcc", "srcc")
) -> dict:
    """RMSE/PLCC/SRCC of (images, variants) predictions on one shared image set: per metric the
    cell ``mean ± SD over variants [95% bootstrap CI over images]`` (``value [CI]`` for a single
    variant) and the numeric ``<metric>_mean``."""
    y = np.asarray(y, float)
    predictions = np.asarray(predictions, float).reshape(len(y), -1)
    per_variant = [regression_metrics(y, predictions[:, v]) for v in range(predictions.shape[1])]
    cells = {}
    for m in metrics:
        values = [row[m] for row in per_variant]
        cells[m] = with_ci(mean_sd(values), *image_bootstrap_ci(y, predictions, m, n_boot, seed), len(y))
        cells[f"{m}_mean"] = float(np.mean(values))
    return cells


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
            m: with_ci(mean_sd(sub[m]), *image_bootstrap_ci(y, wide.to_numpy().T, m, n_boot, seed), len(y))
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


def lime_fidelity_table(
    lime: pd.DataFrame, n_boot: int = 2000, seed: int = 0, by: tuple[str, ...] = ("regime", "arch")
) -> pd.DataFrame:
    """Table A.2: per group of ``by`` (regime and architecture; the ensembles' Table 7c: ensemble
    ``kind``), the fidelity R² of LIME's surrogate (the weighted R² of each linear fit on its
    perturbations, column ``r2``; one row per explained variant, or ensemble, and image). Per
    image the R² is averaged over the variants, then summarized as mean ± SD [95% bootstrap CI
    of the mean] over images; ``fits`` counts every fit, ``r2_min`` and ``r2_max`` are the worst
    and the best single fit."""
    by = list(by)
    per_image = lime.groupby([*by, "image_id"], sort=False)["r2"].mean().reset_index()
    fits = lime.groupby(by, sort=False)["r2"].agg(["size", "min", "max"])
    rows = []
    for key, sub in per_image.groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        fit = fits.loc[key if len(key) > 1 else key[0]]
        rows.append(
            {
                **dict(zip(by, key)),
                "images": len(sub),
                "fits": int(fit["size"]),
                **mean_sd_ci_cells(sub, ["r2"], n_boot, seed),
                "r2_min": float(fit["min"]),
                "r2_max": float(fit["max"]),
            }
        )
    return pd.DataFrame(rows)


def head_predictions(
    embedding, ids: list[str], heads: dict[int, object], roles: pd.DataFrame, mos: pd.Series
) -> pd.DataFrame:
    """Predictions of unpruned heads on their images from the cached penultimate embeddings.

    ``heads`` maps seed -> head; ``roles`` has columns seed, image_id, role (one experiment);
    ``mos`` is the authenticity MOS by image id. Columns: seed, image_id, role, y, y_hat.
    """
    # the heads are torch modules; the table jobs that import this module only read tables
    from authxai.models.features import rows_for
    from authxai.models.training import predict

    frames = []
    for seed, head in heads.items():
        mine = roles[roles["seed"] == seed]
        wanted = mine["image_id"].to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    "seed": seed,
                    "image_id": wanted,
                    "role": mine["role"].to_numpy(),
                    "y": mos.loc[wanted].to_numpy(),
                    "y_hat": predict(head, embedding[rows_for(ids, wanted)]),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


#: Heads compared in the pruning table: the trained heads, and the same heads after SBS pruning.
PRUNING_HEADS = ("unpruned", "pruned")


def stopped_at_cap(removed: pd.Series, max_steps: int | None) -> int:
    """How many SBS runs (their numbers of removed channels) stopped at the ``pruning.max_steps``
    cap rather than where the RMSE stopped dropping (none without a cap)."""
    return 0 if max_steps is None else int((removed >= max_steps).sum())


def pruning_table(
    predictions: pd.DataFrame,
    removed_share: pd.DataFrame,
    n_boot: int = 2000,
    seed: int = 0,
    max_steps: int | None = None,
) -> pd.DataFrame:
    """Appendix table: per regime and architecture, RMSE/PLCC/SRCC on the fixed test images of
    the unpruned heads and of the pruned variants (mean ± SD over variants [95% bootstrap CI over
    test images]), the share of target-layer channels SBS removed (mean ± SD over variants, %)
    and, for the pruned variants, how many SBS runs stopped at the ``max_steps`` cap
    (``runs_at_cap``; ``stopped_at_cap``: "k/n (cap m)", "k/n (no cap)") — a run at the cap was
    cut short, not pruned until its RMSE stopped dropping.

    ``predictions`` has columns regime, arch, heads (unpruned/pruned), seed, image_id, role, y,
    y_hat; ``removed_share`` has regime, arch, seed, removed_share (0–1) and ``removed`` (the
    number of channels removed).
    """
    test = predictions[predictions["role"] == "test"]
    rows = []
    for (regime, arch), sub in test.groupby(["regime", "arch"], sort=False):
        shares = removed_share[(removed_share["regime"] == regime) & (removed_share["arch"] == arch)]
        for heads in PRUNING_HEADS:
            mine = sub[sub["heads"] == heads]
            wide = mine.pivot_table(index="image_id", columns="seed", values="y_hat").sort_index(axis=1)
            y = mine.groupby("image_id")["y"].first().loc[wide.index].to_numpy()
            percent = 100 * shares["removed_share"] if heads == "pruned" else pd.Series(np.zeros(len(shares)))
            rows.append(
                {
                    "regime": regime,
                    "arch": arch,
                    "heads": heads,
                    "variants": wide.shape[1],
                    "test_images": len(y),
                    **performance_cells(y, wide.to_numpy(), n_boot, seed),
                    "channels_removed_pct": mean_sd(percent),
                    "channels_removed_pct_mean": float(percent.mean()),
                    **_cap_cells(shares, heads, max_steps),
                }
            )
    return pd.DataFrame(rows)


def _cap_cells(shares: pd.DataFrame, heads: str, max_steps: int | None) -> dict:
    """The pruning table's cap columns of one row (empty for the unpruned heads)."""
    if heads != "pruned":
        return {"runs_at_cap": pd.NA, "stopped_at_cap": ""}
    at_cap = stopped_at_cap(shares["removed"], max_steps)
    cap = "no cap" if max_steps is None else f"cap {max_steps}"
    return {"runs_at_cap": at_cap, "stopped_at_cap": f"{at_cap}/{len(shares)} ({cap})"}


def head_layers(in_dim: int, hidden: tuple[int, ...], dropout: float = 0.5) -> list[dict]:
    """The layers of a regression head ``in_dim -> hidden... -> 1``
    (:class:`authxai.models.heads.RegressionHead`, counted without torch): one row per linear
    layer with its ``in``, ``out``, what follows it and its ``parameters`` (weights + biases)."""
    widths = [in_dim, *hidden, 1]
    return [
        {
            "in": a,
            "out": b,
            "then": f"ReLU, Dropout({dropout:g})" if k < len(hidden) else "",
            "parameters": a * b + b,
        }
        for k, (a, b) in enumerate(zip(widths, widths[1:]))
    ]


def head_parameter_table(specs: dict[str, dict], dropout: float = 0.5) -> pd.DataFrame:
    """Table A.3: per architecture (``specs``: name -> embed_dim, head_hidden, target_layer,
    control), the backbone's target layer and embedding width, the head's layers and its number
    of trainable parameters (the backbone is frozen: the head is all that is trained)."""
    rows = []
    for arch, spec in specs.items():
        layers = head_layers(int(spec["embed_dim"]), tuple(spec["head_hidden"]), dropout)
        text = "; ".join(
            f"Linear({layer['in']}, {layer['out']})" + (f" + {layer['then']}" if layer["then"] else "")
            for layer in layers
        )
        rows.append(
            {
                "arch": arch,
                "backbone": "control (random init)" if spec.get("control") else "trained",
                "target_layer": spec["target_layer"],
                "embedding_dim": int(spec["embed_dim"]),
                "head": text,
                "parameters": sum(layer["parameters"] for layer in layers),
            }
        )
    return pd.DataFrame(rows)
