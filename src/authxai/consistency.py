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

from authxai.attribution.maps import map_array, read_attributions
from authxai.evaluation import image_bootstrap_ci, mean_pairwise_r, mean_sd_ci_cells
from authxai.uncertainty import MIN_CI_UNITS, bootstrap_ci, ci_text

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


def agreement_columns(table: pd.DataFrame) -> list[str]:
    """The columns of ``table`` that hold a :func:`pair_agreement` (``pearson``, ``iou<p>``)."""
    return [c for c in table.columns if c == "pearson" or c.startswith("iou")]


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


def prototype_label(seeds: list[int], all_seeds: list[int]) -> str:
    """What an architecture's prototype averages: ``all variants``, ``seed 0`` or ``seeds 0, 3``."""
    if sorted(seeds) == sorted(all_seeds):
        return "all variants"
    return ("seed " if len(seeds) == 1 else "seeds ") + ", ".join(str(s) for s in sorted(seeds))


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


def within_score_columns(per_image: pd.DataFrame) -> list[str]:
    """The per-image numbers of a within-consistency table, in its order: the agreement columns
    and those a method adds (LIME's ``lime_reliability``, ``pearson_noise_corrected``,
    ``pearson_shared``: :mod:`authxai.consistency_lime`); columns with no value left out."""
    return [
        c
        for c in per_image.columns
        if c != "n_variants" and pd.api.types.is_float_dtype(per_image[c]) and per_image[c].notna().any()
    ]


def within_table(per_image: pd.DataFrame, similarity: pd.DataFrame, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Tables 4/5: per architecture, prediction and RSM similarity of its variants next to the
    mean ± SD [95% bootstrap CI of the mean] over explanation images of their maps' pairwise
    Pearson r and top-p% IoU (and the numbers a method adds, :func:`within_score_columns`);
    ``estimate``, where the per-image table has it, says what ``pearson`` estimates."""
    by_arch = similarity.set_index("arch")
    rows = []
    for arch, sub in per_image.groupby("arch", sort=False):
        estimate = {"estimate": "; ".join(sub["estimate"].unique())} if "estimate" in sub else {}
        rows.append(
            {
                "arch": arch,
                "images": len(sub),
                **estimate,
                **by_arch.loc[arch].to_dict(),
                **mean_sd_ci_cells(sub, within_score_columns(sub), n_boot, seed),
            }
        )
    return pd.DataFrame(rows)


#: Per-image targets of :func:`relations_table`: the image's authenticity MOS and the variants'
#: mean absolute error.
RELATION_TARGETS = ("mos", "mae")
#: The paper's tables of those relations: Table 6 (consistency vs the MOS) and Table A.4
#: (image-level consistency vs the variants' MAE).
RELATION_TABLES = {"table6_consistency_relations": "mos", "tableA4_consistency_vs_mae": "mae"}


def image_errors(variants: pd.DataFrame) -> pd.DataFrame:
    """Per (arch, image_id): authenticity MOS and the variants' mean absolute error."""
    err = variants.assign(abs_error=(variants["y_hat"] - variants["y"]).abs())
    return err.groupby(["arch", "image_id"]).agg(mos=("y", "first"), mae=("abs_error", "mean")).reset_index()


def correlation_cells(x: np.ndarray, y: np.ndarray, name: str, n_boot: int = 2000, seed: int = 0) -> dict:
    """``r_<name>``, ``p_<name>`` and ``ci_<name>`` (95% bootstrap CI over the paired items,
    ``[n too small]`` under :data:`authxai.uncertainty.MIN_CI_UNITS`, empty where undefined) of
    the Pearson correlation of two per-item quantities."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    res = relation(x, y)
    if len(x) < MIN_CI_UNITS:
        return {f"r_{name}": res["r"], f"p_{name}": res["p"], f"ci_{name}": ci_text(np.nan, np.nan, len(x))}
    low, high = image_bootstrap_ci(y, x, "plcc", n_boot, seed)
    ci = ci_text(low, high, len(x), ".2f") if np.isfinite([low, high]).all() else ""
    return {f"r_{name}": res["r"], f"p_{name}": res["p"], f"ci_{name}": ci}


def relations_table(per_image: pd.DataFrame, variants: pd.DataFrame, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Table 6: per method, architecture, image set and target (the image's authenticity MOS,
    the variants' mean absolute error), the Pearson r (p, 95% bootstrap CI over images) between
    the target and each within-architecture consistency measure of the image: the maps'
    correlation-based consistency (``pearson``) and their top-5/15/25 % IoU."""
    merged = per_image.merge(image_errors(variants), on=["arch", "image_id"], how="left")
    measures = agreement_columns(per_image)
    rows = []
    for (method, arch, subset), sub in merged.groupby(["method", "arch", "subset"], sort=False):
        for target in RELATION_TARGETS:
            row = {"method": method, "arch": arch, "subset": subset, "target": target, "n": len(sub)}
            for measure in measures:
                row.update(correlation_cells(sub[measure], sub[target], measure, n_boot, seed))
            rows.append(row)
    return pd.DataFrame(rows)


def relation_tables(relations: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """:data:`RELATION_TABLES` from :func:`relations_table` output: each table its target's rows."""
    return {
        name: relations[relations["target"] == target].reset_index(drop=True)
        for name, target in RELATION_TABLES.items()
    }


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


def behaviour_table(
    map_pairs: pd.DataFrame, behaviour: pd.DataFrame, n_permutations: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """Table A.4b (Mantel; the paper's Table A.4 is :data:`RELATION_TABLES`' image-level one):
    does explanation agreement track agreement in model behaviour?

    The unit is a pair of variants of one architecture. Map agreement of a pair = its mean over
    the images in ``map_pairs`` (one row per image and pair, from :func:`within_pairs`) of each
    consistency measure (Pearson r, top-p% IoU); behaviour of a pair = :func:`behaviour_pairs`.
    Per method, architecture and consistency measure: the mean map agreement over pairs, the
    mean of each behaviour measure, and the Mantel r (permutation p) between map agreement and
    each behaviour measure over the pairs.
    """
    measures = agreement_columns(map_pairs)
    per_pair = map_pairs.groupby(["method", "arch", "seed_a", "seed_b"], sort=False)[measures].mean().reset_index()
    merged = per_pair.merge(behaviour, on=["arch", "seed_a", "seed_b"], how="inner")
    rows = []
    for (method, arch), sub in merged.groupby(["method", "arch"], sort=False):
        seeds = sorted(set(sub["seed_a"]) | set(sub["seed_b"]))
        for measure in measures:
            row = {"method": method, "arch": arch, "map_measure": measure, "pairs": len(sub)}
            row["map_agreement"] = sub[measure].mean()
            for b in BEHAVIOUR_COLUMNS:
                row[b] = sub[b].mean()
            for b in BEHAVIOUR_COLUMNS:
                test = mantel(pair_matrix(sub, measure, seeds), pair_matrix(sub, b, seeds), n_permutations, seed)
                row.update({f"r_{b}": test["r"], f"p_{b}": test["p"]})
            rows.append(row)
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


def agreement_table(per_item: pd.DataFrame, by: list[str], n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Per group of ``by``: the number of rows and the mean ± SD [95% bootstrap CI of the mean
    over rows] of every agreement column (Pearson r, top-p% IoU)."""
    columns = agreement_columns(per_item)
    rows = []
    for key, sub in per_item.groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(by, key)), "n": len(sub), **mean_sd_ci_cells(sub, columns, n_boot, seed)})
    return pd.DataFrame(rows)
