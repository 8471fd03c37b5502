"""Consistency tables (the paper's Tables 4–6, A.4): the measures of
:mod:`authxai.consistency.metrics` summarized with bootstrap CIs, related to the images' MOS
and errors, and to the variants' behaviour (Mantel)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from authxai.consistency.metrics import BEHAVIOUR_COLUMNS, agreement_columns, pair_matrix
from authxai.evaluation import mean_sd_ci_cells
from authxai.statistics import MIN_CI_UNITS, bootstrap_ci, ci_text, image_bootstrap_ci, mantel, relation


def prototype_label(seeds: list[int], all_seeds: list[int]) -> str:
    """What an architecture's prototype averages: ``all variants``, ``seed 0`` or ``seeds 0, 3``."""
    if sorted(seeds) == sorted(all_seeds):
        return "all variants"
    return ("seed " if len(seeds) == 1 else "seeds ") + ", ".join(str(s) for s in sorted(seeds))


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
    ``[n too small]`` under :data:`authxai.statistics.MIN_CI_UNITS`, empty where undefined) of
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


def agreement_table(per_item: pd.DataFrame, by: list[str], n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Per group of ``by``: the number of rows and the mean ± SD [95% bootstrap CI of the mean
    over rows] of every agreement column (Pearson r, top-p% IoU)."""
    columns = agreement_columns(per_item)
    rows = []
    for key, sub in per_item.groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(by, key)), "n": len(sub), **mean_sd_ci_cells(sub, columns, n_boot, seed)})
    return pd.DataFrame(rows)
