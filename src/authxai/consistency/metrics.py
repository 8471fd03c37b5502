"""Consistency measures: how much two attribution maps agree, and of which maps.

Within an architecture the variants (seeds) of one image are compared pairwise; across
architectures each architecture's *prototype* (mean map over its variants) is compared.
Maps are raw signed arrays; Pearson correlation is scale-free and top-p% IoU looks at the
most positive pixels, so no normalization is needed. The measures of a pair are
:data:`MEASURES`; the tables built from them are :mod:`authxai.consistency.tables`.
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd

from authxai.attribution.maps import map_array, read_attributions
from authxai.statistics import mean_pairwise_r, pearson

#: Top-p% fractions of the IoU analysis (the paper's 5, 15 and 25 %).
IOU_FRACTIONS = (0.05, 0.15, 0.25)
#: The consistency measures of a pair of maps, in table order: their Pearson r and the IoU of
#: their top 5, 15 and 25 % pixels (the keys :func:`pair_agreement` gives for
#: :data:`IOU_FRACTIONS`).
MEASURES = ("pearson", "iou5", "iou15", "iou25")


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


def pair_agreement(a: np.ndarray, b: np.ndarray, fractions=IOU_FRACTIONS) -> dict[str, float]:
    """Pearson r and top-p% IoU of two maps."""
    row = {"pearson": pearson(a, b)}
    for p in fractions:
        row[f"iou{round(p * 100)}"] = top_fraction_iou(a, b, p)
    return row


def agreement_columns(table: pd.DataFrame) -> list[str]:
    """The :data:`MEASURES` ``table`` has, in their order."""
    return [c for c in MEASURES if c in table.columns]


def mean_pairwise_agreement(maps: np.ndarray, fractions=IOU_FRACTIONS) -> dict[str, float]:
    """Mean over all pairs of maps (V, H, W) of :func:`pair_agreement` (45 pairs for 10 seeds)."""
    pairs = [pair_agreement(maps[i], maps[j], fractions) for i, j in combinations(range(len(maps)), 2)]
    if not pairs:
        raise ValueError("consistency needs at least two maps")
    return {key: float(np.nanmean([p[key] for p in pairs])) for key in pairs[0]}


def within_pairs(maps: pd.DataFrame, fractions=IOU_FRACTIONS) -> pd.DataFrame:
    """Per (arch, image_id) and pair of variants (seed_a < seed_b): :func:`pair_agreement` of
    their maps. ``maps`` has columns arch, seed, image_id and ``map`` (an (H, W) array per row)."""
    rows = []
    for (arch, image), sub in maps.groupby(["arch", "image_id"], sort=True):
        by_seed = sub.sort_values("seed")
        if len(by_seed) < 2:
            raise ValueError(f"consistency needs at least two maps ({arch}, {image} has {len(by_seed)})")
        for (seed_a, map_a), (seed_b, map_b) in combinations(zip(by_seed["seed"], by_seed["map"]), 2):
            rows.append(
                {
                    "arch": arch,
                    "image_id": image,
                    "seed_a": int(seed_a),
                    "seed_b": int(seed_b),
                    **pair_agreement(map_a, map_b, fractions),
                }
            )
    return pd.DataFrame(rows)


def mean_over_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per (arch, image_id): the number of variants and the mean (NaN-skipping) agreement over
    the pairs of :func:`within_pairs`."""
    columns = agreement_columns(pairs)
    grouped = pairs.groupby(["arch", "image_id"], sort=True)
    n_variants = grouped.apply(lambda g: len(set(g["seed_a"]) | set(g["seed_b"])), include_groups=False)
    out = grouped[columns].mean()
    out.insert(0, "n_variants", n_variants)
    return out.reset_index()


def map_within(paths: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pairs, per_image) within-architecture consistency of the maps in the attribution tables
    of ``paths``: :func:`within_pairs` and :func:`mean_over_pairs` (every method without a
    ``within`` hook of its own in :data:`authxai.attribution.methods.METHODS`)."""
    pairs = within_pairs(read_maps(paths))
    return pairs, mean_over_pairs(pairs)


def within_consistency(maps: pd.DataFrame, fractions=IOU_FRACTIONS) -> pd.DataFrame:
    """Per (arch, image_id): mean pairwise agreement of the variants' maps (Tables 4–6).

    ``maps`` has columns arch, seed, image_id and ``map`` (an (H, W) array per row).
    """
    return mean_over_pairs(within_pairs(maps, fractions))


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


def representational_similarity(embeddings: list[np.ndarray]) -> float:
    """Mean pairwise correlation of the variants' RSMs (upper triangles).

    Each element of ``embeddings`` is one variant's (images, features) penultimate embedding
    on the same images; its RSM is the image × image Pearson correlation matrix.
    """
    rsms = [np.corrcoef(np.asarray(emb, np.float64)) for emb in embeddings]
    upper = np.triu_indices_from(rsms[0], k=1)
    return mean_pairwise_r(np.stack([rsm[upper] for rsm in rsms]))


def read_maps(paths: list[str], images: list[str] | None = None) -> pd.DataFrame:
    """Attribution tables -> one row per map: arch, seed, image_id, regime and the (H, W)
    ``map``; the rows of ``images`` only if given (a table holds its whole job's images)."""
    rows = []
    # only these columns: an MPM table's per-scale drops are ~90% of its bytes
    columns = ["arch", "seed", "regime", "height", "width", "map"]
    for _, row in read_attributions(paths, images, columns).iterrows():
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


def pair_matrix(pairs: pd.DataFrame, value: str, seeds: list[int]) -> np.ndarray:
    """Symmetric (V, V) matrix of a per-pair ``value`` (columns seed_a, seed_b); NaN diagonal."""
    out = np.full((len(seeds), len(seeds)), np.nan)
    pos = {s: k for k, s in enumerate(seeds)}
    for a, b, v in pairs[["seed_a", "seed_b", value]].itertuples(index=False):
        out[pos[a], pos[b]] = out[pos[b], pos[a]] = v
    return out


#: Behaviour agreement of a pair of variants on the test images (Table A.4b, Mantel).
BEHAVIOUR_COLUMNS = ("prediction_r", "prediction_mad", "error_mae")


def behaviour_pairs(variants: pd.DataFrame) -> pd.DataFrame:
    """Per (arch, seed_a < seed_b), on the images of role ``test``: Pearson r of the two
    variants' predictions (``prediction_r``), their mean absolute difference in MOS units
    (``prediction_mad``) and the mean of the two variants' mean absolute errors against the
    authenticity MOS (``error_mae``)."""
    test = variants[variants["role"] == "test"]
    rows = []
    for arch, sub in test.groupby("arch", sort=False):
        wide = sub.pivot_table(index="image_id", columns="seed", values="y_hat").sort_index(axis=1)
        y = sub.groupby("image_id")["y"].first().loc[wide.index].to_numpy()
        for seed_a, seed_b in combinations(wide.columns, 2):
            a, b = wide[seed_a].to_numpy(float), wide[seed_b].to_numpy(float)
            rows.append(
                {
                    "arch": arch,
                    "seed_a": int(seed_a),
                    "seed_b": int(seed_b),
                    "prediction_r": pearson(a, b),
                    "prediction_mad": float(np.mean(np.abs(a - b))),
                    "error_mae": float((np.mean(np.abs(a - y)) + np.mean(np.abs(b - y))) / 2),
                }
            )
    return pd.DataFrame(rows)


def method_agreement(first: pd.DataFrame, second: pd.DataFrame, fractions=IOU_FRACTIONS) -> pd.DataFrame:
    """Per image and ensemble ``kind``: :func:`pair_agreement` of two methods' maps of the same
    model (e.g. an ensemble's LIME map vs its MPM map). Both tables have columns image_id, kind,
    map, height, width; maps of one image and kind must have the same size."""

    keys = ["image_id", "kind"]
    a = pd.Series([map_array(row) for _, row in first.iterrows()], index=pd.MultiIndex.from_frame(first[keys]))
    b = pd.Series([map_array(row) for _, row in second.iterrows()], index=pd.MultiIndex.from_frame(second[keys]))
    rows = []
    for key in sorted(set(a.index) & set(b.index)):
        if a[key].shape != b[key].shape:
            raise ValueError(f"maps of {key} differ in size: {a[key].shape} vs {b[key].shape}")
        rows.append({**dict(zip(keys, key)), **pair_agreement(a[key], b[key], fractions)})
    return pd.DataFrame(rows)
