"""Ensembles of the pruned variants (Experiment 3, Table 7) and their attributions.

Bagging averages the variants' predictions; stacking fits a linear meta-learner on them with
out-of-fold predictions on the global test set. Both are linear in the variants' outputs, so
an MPM map of the ensemble is the same linear combination of the variants' raw drops (the
constant intercept cancels in f(x) − f(x_masked)); LIME of the ensemble is refit on the
combined predictions of the shared perturbations — no backbone is ever run for an ensemble.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from authxai.attribution.lime_surrogate import explain_from_predictions, perturbations
from authxai.attribution.maps import drops_array, flat, flat_per_scale, segments_array
from authxai.errors import InputError, require_finite
from authxai.evaluation import performance_cells, regression_metrics
from authxai.tables import provenance, write_text

#: Ridge penalties searched when the meta-learner's alpha is "cv" (inner CV on the training folds).
ALPHAS = tuple(np.logspace(-2, 6, 17))


def meta_learner(alpha: float | str):
    """Linear meta-learner: OLS (alpha 0), ridge (alpha > 0) or ridge with alpha chosen by
    leave-one-out CV on its training data (alpha "cv", stable with many correlated variants)."""
    # scikit-learn is imported here, not at the top: this module is imported by every attribution
    # job (the method registry names its ensemble maps), and ~1 s of sklearn start-up each would
    # add up over the paper configuration's thousands of jobs; only the ensemble rule fits models.
    from sklearn.linear_model import LinearRegression, Ridge, RidgeCV

    if alpha == "cv":
        return RidgeCV(alphas=ALPHAS)
    if alpha == 0:
        return LinearRegression()
    return Ridge(alpha=float(alpha))


def predictions_on_test(variants: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """(images × (arch, seed) predictions on the images of role ``test``, their MOS ``y``)."""
    test = variants[variants["role"] == "test"]
    wide = test.pivot_table(index="image_id", columns=["arch", "seed"], values="y_hat").sort_index(axis=1)
    return wide, test.groupby("image_id")["y"].first().loc[wide.index].to_numpy()


def ensemble_predictions(
    predictions: np.ndarray, y: np.ndarray, folds: int = 5, seed: int = 0, alpha: float | str = "cv"
) -> dict[str, np.ndarray]:
    """Bagging and out-of-fold stacking predictions of (images, variants) predictions."""
    return {"bagging": bagging(predictions), "stacking": stacking_oof(predictions, y, folds, seed, alpha)}


def best_variant(wide: pd.DataFrame, y: np.ndarray):
    """Column of the single variant with the lowest test RMSE (first on ties): (arch, seed) of
    a wide table over architectures, the seed of one architecture's columns."""
    rmse = [regression_metrics(y, wide[col].to_numpy())["rmse"] for col in wide.columns]
    return wide.columns[int(np.argmin(rmse))]


#: Pools of variants an ensemble combines: the trained backbones (the paper's ensembles) and,
#: as a labelled extra, the random-init control (never mixed in with the trained ones).
ENSEMBLE_POOLS = ("trained", "control")


def ensemble_pools(wide: pd.DataFrame, control_archs: list[str]) -> dict[str, pd.DataFrame]:
    """The (images × (arch, seed)) predictions of each pool that has variants: ``trained``
    (every architecture not in ``control_archs``) and ``control``."""
    archs = wide.columns.get_level_values("arch")
    control = archs.isin(list(control_archs))
    pools = {"trained": wide.loc[:, ~control], "control": wide.loc[:, control]}
    return {pool: pools[pool] for pool in ENSEMBLE_POOLS if pools[pool].shape[1]}


def ensemble_label(kind: str, pool: str) -> str:
    """Table 7's ``model`` (and the predictions' column) of an ensemble: ``bagging`` over the
    trained backbones, ``bagging (control)`` over the control."""
    return kind if pool == "trained" else f"{kind} ({pool})"


def table7(
    wide: pd.DataFrame,
    y: np.ndarray,
    ensembles: dict[str, dict[str, np.ndarray]],
    archs: list[str],
    control_archs: list[str],
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Table 7: RMSE/PLCC/SRCC on the global test set of every architecture's variants (mean ±
    SD over its variants [95% bootstrap CI over images]) with its best variant by test RMSE
    (``best_variant``, ``best_rmse``; chosen on the test set itself, an optimistic single
    model), then each ensemble of each pool (``ensembles``: pool -> kind -> predictions;
    ``backbones`` says which pool a row is from)."""
    rows = []
    for arch in archs:
        best = best_variant(wide[arch], y)
        rows.append(
            {
                "model": arch,
                "backbones": "control" if arch in control_archs else "trained",
                "variants": wide[arch].shape[1],
            }
            | performance_cells(y, wide[arch].to_numpy(), n_boot, seed)
            | {
                "best_variant": f"seed {best}",
                "best_rmse": regression_metrics(y, wide[(arch, best)].to_numpy())["rmse"],
            }
        )
    pools = ensemble_pools(wide, control_archs)
    for pool, kinds in ensembles.items():
        for name, pred in kinds.items():
            rows.append(
                {"model": ensemble_label(name, pool), "backbones": pool, "variants": pools[pool].shape[1]}
                | performance_cells(y, pred, n_boot, seed)
                | {"best_variant": "", "best_rmse": np.nan}
            )
    return pd.DataFrame(rows)


def bagging(predictions: np.ndarray) -> np.ndarray:
    """Mean over variants of (images, variants) predictions."""
    return np.asarray(predictions, float).mean(axis=1)


def stacking_oof(
    predictions: np.ndarray, y: np.ndarray, n_folds: int = 5, seed: int = 0, alpha: float | str = "cv"
) -> np.ndarray:
    """Out-of-fold stacking predictions: each image is predicted by a meta-learner fit on the
    other folds' (variant predictions, MOS)."""
    from sklearn.model_selection import KFold  # see meta_learner: start-up cost

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


def save_stacking(
    weights: StackingWeights, variants: list[tuple[str, int]], alpha: float | str, path: str | Path, config=None
) -> None:
    """Write the stacking meta-learner (JSON, atomically, with provenance): one weight per
    (arch, seed) variant in ``variants`` order, the intercept and the penalty it was fit with."""
    record = {
        "variants": [{"arch": a, "seed": int(s)} for a, s in variants],
        "weights": np.asarray(weights.weights, float).tolist(),
        "intercept": float(weights.intercept),
        "alpha": alpha,
        "provenance": provenance(config),
    }
    write_text(path, json.dumps(record, indent=1))


def load_stacking(path: str | Path) -> tuple[StackingWeights, list[tuple[str, int]]]:
    """The meta-learner written by :func:`save_stacking` and the (arch, seed) order of its weights."""
    record = json.loads(Path(path).read_text())
    variants = [(v["arch"], int(v["seed"])) for v in record["variants"]]
    return StackingWeights(np.asarray(record["weights"], float), float(record["intercept"])), variants


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
    """LIME of a linear ensemble, refit on the combined outputs of the variants on the
    ensemble's own perturbations (``ensemble_seed`` and ``ensemble_predictions`` of each row:
    the same draw, segments and samples in every row) — what LIME run on the ensemble module
    gives, without rerunning a backbone."""
    first = rows[0]
    if "ensemble_seed" not in first or any(pd.isna(row.get("ensemble_seed")) for row in rows):
        raise InputError(
            f"LIME rows of {first['image_id']} hold no outputs on the ensemble's perturbations — "
            "rerun lime for regime val (snakemake --forcerun lime)"
        )
    segments = segments_array(first)
    for row in rows[1:]:
        same = (row["ensemble_seed"], row["num_samples"]) == (first["ensemble_seed"], first["num_samples"])
        if not same or not np.array_equal(np.asarray(row["segments"]), np.asarray(first["segments"])):
            raise ValueError(
                f"LIME rows of {first['image_id']} do not share perturbations ({row['arch']} seed {row['seed']}); "
                "rerun lime for regime val with the same preprocessing for every architecture"
            )
    z = perturbations(int(first["n_segments"]), int(first["num_samples"]), int(first["ensemble_seed"]))
    preds = np.stack([np.asarray(r["ensemble_predictions"], np.float64) for r in rows], axis=1)
    return explain_from_predictions(z, preds @ np.asarray(weights, np.float64) + intercept, segments)


#: The ensembles whose maps are computed, in table order.
ENSEMBLES = ("bagging", "stacking")


def mpm_ensemble_map(rows: list[dict], weights: np.ndarray, intercept: float = 0.0) -> dict:
    """Map columns of an MPM ensemble: the weighted sum of the variants' raw drops per scale
    (the intercept cancels in f(x) − f(x_masked)) and their mean over scales."""
    combined = ensemble_mpm(np.stack([drops_array(row, np.float64) for row in rows]), weights)
    return {
        "map": combined.mean(axis=0),
        "drops": flat_per_scale(combined, np.float64),
        "patch_sizes": list(rows[0]["patch_sizes"]),
    }


def lime_ensemble_map(rows: list[dict], weights: np.ndarray, intercept: float = 0.0) -> dict:
    """Map columns of a LIME ensemble: LIME refit on the ensemble's outputs (:func:`ensemble_lime`)."""
    res = ensemble_lime(rows, weights, intercept)
    return {"map": res.map, "r2": res.r2, "coefficients": res.coefficients.tolist()}


def ensemble_map_rows(rows: list[dict], combine, stacking: StackingWeights, method: str, image_id: str) -> list[dict]:
    """One row per ensemble (bagging, stacking) of one image: ``combine(rows, weights,
    intercept)`` (the method's ensemble map, :attr:`authxai.attribution.methods.Method.ensemble`)
    of the variants' attribution ``rows``, ordered as the stacking weights."""
    height, width = int(rows[0]["height"]), int(rows[0]["width"])
    out = []
    for kind in ENSEMBLES:
        weights = ensemble_weights(kind, len(rows), stacking)
        columns = combine(rows, weights, stacking.intercept if kind == "stacking" else 0.0)
        require_finite(columns["map"], f"{kind} {method} map of {image_id}")
        out.append(
            {
                "kind": kind,
                "method": method,
                "image_id": image_id,
                "height": height,
                "width": width,
                "n_variants": len(rows),
                **columns,
                "map": flat(columns["map"]),
            }
        )
    return out
