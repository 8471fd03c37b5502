"""Explanation consistency within and across architectures (the paper's §4.7, Tables 4–6, Fig. 3).

Within an architecture the variants (seeds) of one image are compared pairwise; across
architectures each architecture's *prototype* (mean map over its variants) is compared.
Maps are raw signed arrays; Pearson correlation is scale-free and top-p% IoU looks at the
most positive pixels, so no normalization is needed.
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from authxai.evaluation import image_bootstrap_ci, mean_pairwise_r, mean_sd, with_ci
from authxai.uncertainty import bootstrap_ci

#: Top-p% fractions of the IoU analysis (the paper's 5, 15 and 25 %).
IOU_FRACTIONS = (0.05, 0.15, 0.25)


def top_fraction_mask(values: np.ndarray, fraction: float) -> np.ndarray:
    """Boolean mask of the top ``fraction`` pixels: k = ceil(fraction·N), threshold at the
    k-th largest value, ties included (so the mask can hold more than k pixels)."""
    flat = np.asarray(values, dtype=np.float64).ravel()
    k = min(max(1, math.ceil(fraction * flat.size)), flat.size)
    threshold = np.partition(flat, flat.size - k)[flat.size - k]
    return (flat >= threshold).reshape(np.shape(values))


def top_fraction_iou(a: np.ndarray, b: np.ndarray, fraction: float) -> float:
    """Intersection over union of the top-``fraction`` pixels of two maps."""
    ma, mb = top_fraction_mask(a, fraction), top_fraction_mask(b, fraction)
    return float(np.logical_and(ma, mb).sum() / np.logical_or(ma, mb).sum())


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r of two maps (NaN when one is constant)."""
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def pair_agreement(a: np.ndarray, b: np.ndarray, fractions=IOU_FRACTIONS) -> dict[str, float]:
    """Pearson r and top-p% IoU of two maps."""
    row = {"pearson": pearson(a, b)}
    for p in fractions:
        row[f"iou{round(p * 100)}"] = top_fraction_iou(a, b, p)
    return row


def mean_pairwise_agreement(maps: np.ndarray, fractions=IOU_FRACTIONS) -> dict[str, float]:
    """Mean over all pairs of maps (V, H, W) of :func:`pair_agreement` (45 pairs for 10 seeds)."""
    pairs = [pair_agreement(maps[i], maps[j], fractions) for i, j in combinations(range(len(maps)), 2)]
    if not pairs:
        raise ValueError("consistency needs at least two maps")
    return {key: float(np.nanmean([p[key] for p in pairs])) for key in pairs[0]}


def within_consistency(maps: pd.DataFrame, fractions=IOU_FRACTIONS) -> pd.DataFrame:
    """Per (arch, image_id): mean pairwise agreement of the variants' maps.

    ``maps`` has columns arch, seed, image_id and ``map`` (an (H, W) array per row).
    """
    rows = []
    for (arch, image), sub in maps.groupby(["arch", "image_id"], sort=True):
        stack = np.stack(sub.sort_values("seed")["map"].to_list())
        rows.append(
            {"arch": arch, "image_id": image, "n_variants": len(stack), **mean_pairwise_agreement(stack, fractions)}
        )
    return pd.DataFrame(rows)


def prototypes(maps: pd.DataFrame) -> pd.DataFrame:
    """Per (arch, image_id) the mean map over variants (column ``map``)."""
    rows = [
        {"arch": arch, "image_id": image, "map": np.mean(np.stack(sub["map"].to_list()), axis=0)}
        for (arch, image), sub in maps.groupby(["arch", "image_id"], sort=True)
    ]
    return pd.DataFrame(rows)


def across_consistency(maps: pd.DataFrame, fractions=IOU_FRACTIONS) -> pd.DataFrame:
    """Per image and unordered pair of architectures: agreement of their prototypes."""
    protos = prototypes(maps)
    rows = []
    for image, sub in protos.groupby("image_id", sort=True):
        by_arch = dict(zip(sub["arch"], sub["map"]))
        for a, b in combinations(sorted(by_arch), 2):
            rows.append(
                {"image_id": image, "arch_a": a, "arch_b": b, **pair_agreement(by_arch[a], by_arch[b], fractions)}
            )
    return pd.DataFrame(rows)


def across_matrix(across: pd.DataFrame, archs: list[str], value: str = "pearson", stat: str = "mean") -> np.ndarray:
    """Symmetric arch × arch matrix of a per-image agreement ``value`` aggregated by ``stat``
    (mean, min or max over images); the diagonal is 1 (an architecture agrees with itself)."""
    agg = across.groupby(["arch_a", "arch_b"])[value].agg(stat)
    out = np.eye(len(archs))
    for (a, b), v in agg.items():
        i, j = archs.index(a), archs.index(b)
        out[i, j] = out[j, i] = v
    return out


def across_matrix_ci(
    across: pd.DataFrame, archs: list[str], value: str = "pearson", n_boot: int = 2000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) matrices: 95% bootstrap CI over images of each pair's mean ``value``
    (the diagonal is exactly 1)."""
    low, high = np.eye(len(archs)), np.eye(len(archs))
    for (a, b), sub in across.groupby(["arch_a", "arch_b"]):
        i, j = archs.index(a), archs.index(b)
        _, lo, hi = bootstrap_ci(sub[value].to_numpy(), n_boot=n_boot, seed=seed)
        low[i, j] = low[j, i] = lo
        high[i, j] = high[j, i] = hi
    return low, high


def representational_similarity(embeddings: list[np.ndarray]) -> float:
    """Mean pairwise correlation of the variants' RSMs (upper triangles).

    Each element of ``embeddings`` is one variant's (images, features) penultimate embedding
    on the same images; its RSM is the image × image Pearson correlation matrix.
    """
    rsms = [np.corrcoef(np.asarray(emb, np.float64)) for emb in embeddings]
    upper = np.triu_indices_from(rsms[0], k=1)
    return mean_pairwise_r(np.stack([rsm[upper] for rsm in rsms]))


def relation(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Pearson r, p and n of two per-image quantities (NaN when fewer than 3 images)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or np.std(x[ok]) == 0 or np.std(y[ok]) == 0:
        return {"r": float("nan"), "p": float("nan"), "n": int(ok.sum())}
    r, p = stats.pearsonr(x[ok], y[ok])
    return {"r": float(r), "p": float(p), "n": int(ok.sum())}


def read_maps(paths: list[str]) -> pd.DataFrame:
    """Attribution tables (one row per file) -> arch, seed, image_id, regime and (H, W) ``map``."""
    from authxai.attribution.pipeline import map_array
    from authxai.tables import read_parquet

    rows = []
    for path in paths:
        for _, row in read_parquet(path).iterrows():
            rows.append(
                {
                    "arch": row["arch"],
                    "seed": int(row["seed"]),
                    "image_id": row["image_id"],
                    "regime": row["regime"],
                    "map": map_array(row),
                }
            )
    return pd.DataFrame(rows)


def variant_similarity(variants: pd.DataFrame, images: list[str]) -> dict[str, float]:
    """Prediction similarity (mean pairwise Pearson of the variants' predictions) and RSM
    similarity (mean pairwise correlation of their penultimate-embedding RSMs) on ``images``."""
    sub = variants[variants["image_id"].isin(images)].sort_values(["seed", "image_id"])
    by_seed = [g for _, g in sub.groupby("seed", sort=True)]
    preds = np.stack([g["y_hat"].to_numpy() for g in by_seed])
    embs = [np.stack(g["embedding"].to_list()) for g in by_seed]
    return {"prediction_similarity": mean_pairwise_r(preds), "rsm_similarity": representational_similarity(embs)}


def within_table(per_image: pd.DataFrame, similarity: pd.DataFrame, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Tables 4/5: per architecture, prediction and RSM similarity of its variants next to the
    mean ± SD [95% bootstrap CI of the mean] over explanation images of their maps' pairwise
    Pearson r and top-p% IoU."""
    by_arch = similarity.set_index("arch")
    rows = []
    for arch, sub in per_image.groupby("arch", sort=False):
        row = {"arch": arch, "images": len(sub), **by_arch.loc[arch].to_dict()}
        for col in [c for c in sub.columns if c == "pearson" or c.startswith("iou")]:
            _, low, high = bootstrap_ci(sub[col].to_numpy(), n_boot=n_boot, seed=seed)
            row[col] = with_ci(mean_sd(sub[col]), low, high)
            row[f"{col}_mean"] = sub[col].mean()
        rows.append(row)
    return pd.DataFrame(rows)


def relations_table(per_image: pd.DataFrame, variants: pd.DataFrame, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Table 6: per method, architecture and image set, Pearson r (p, 95% bootstrap CI over
    images) of within-architecture map consistency with the image's authenticity MOS and with
    the variants' mean absolute error."""
    err = variants.assign(abs_error=(variants["y_hat"] - variants["y"]).abs())
    per_img = err.groupby(["arch", "image_id"]).agg(mos=("y", "first"), mae=("abs_error", "mean")).reset_index()
    merged = per_image.merge(per_img, on=["arch", "image_id"], how="left")
    rows = []
    for (method, arch, subset), sub in merged.groupby(["method", "arch", "subset"], sort=False):
        row = {"method": method, "arch": arch, "subset": subset}
        for target in ("mos", "mae"):
            res = relation(sub["pearson"], sub[target])
            low, high = (
                image_bootstrap_ci(sub[target].to_numpy(), sub["pearson"].to_numpy(), "plcc", n_boot, seed)
                if len(sub) > 2
                else (np.nan, np.nan)
            )
            ci = f"[{low:.2f}, {high:.2f}]" if np.isfinite([low, high]).all() else ""
            row.update({f"r_{target}": res["r"], f"p_{target}": res["p"], f"r_{target}_ci": ci})
        row["n"] = len(sub)
        rows.append(row)
    return pd.DataFrame(rows)
