"""Localization of attribution maps against ground-truth cue masks (the planted-cue study).

Real images have no ground truth, so the paper can only show that explanations disagree; the
planted-cue study knows which pixels carry the signal. Three standard scores say how well a map
finds them, each taking the map's *magnitude* (a cue may raise or lower the predicted
authenticity; both signs mean "this region matters"):

- :func:`mask_auroc`: probability that a random cue pixel outranks a random background pixel
  (1 = perfect, 0.5 = chance, ties count half);
- :func:`energy_in_mask`: share of the map's total magnitude inside the mask (Wang et al. 2020's
  energy-based pointing game; chance = mask area fraction);
- :func:`pointing_game`: whether the map's maximum falls on the mask, optionally within a
  tolerance of a few pixels (Zhang et al. 2018).

Maps at another resolution than the mask are resized to it first (:func:`to_mask_grid`).
Bootstrap intervals over images come from :mod:`authxai.statistics`; :func:`localization_per_map`
and :func:`localization_summary` turn attribution tables into the localization table.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from scipy import ndimage, stats

from authxai.data.adapters import regular_file
from authxai.errors import fail
from authxai.statistics import ci_cells, summarize_with_ci


def to_mask_grid(saliency: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a (h, w) map to the mask's (H, W) (identity when shapes agree)."""
    saliency = np.asarray(saliency, dtype=np.float64)
    if saliency.shape == tuple(shape):
        return saliency
    zoom = (shape[0] / saliency.shape[0], shape[1] / saliency.shape[1])
    resized = ndimage.zoom(saliency, zoom, order=1, mode="nearest", grid_mode=True)
    return resized[: shape[0], : shape[1]]


def _check(saliency: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mask = np.asarray(mask).astype(bool)
    if mask.ndim != 2:
        raise ValueError(f"mask must be 2-D (H, W), got shape {mask.shape}")
    if not mask.any() or mask.all():
        raise ValueError("mask must contain both cue and background pixels")
    magnitude = np.abs(to_mask_grid(saliency, mask.shape))
    return magnitude, mask


def mask_auroc(saliency: np.ndarray, mask: np.ndarray) -> float:
    """AUROC of ``|saliency|`` as a score for the mask's pixels (Mann–Whitney U / (n₁·n₀))."""
    magnitude, mask = _check(saliency, mask)
    ranks = stats.rankdata(magnitude.ravel())  # average ranks: ties count half
    n_pos = int(mask.sum())
    n_neg = mask.size - n_pos
    u = ranks[mask.ravel()].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


def energy_in_mask(saliency: np.ndarray, mask: np.ndarray) -> float:
    """Share of ``|saliency|`` inside the mask (NaN for an all-zero map)."""
    magnitude, mask = _check(saliency, mask)
    total = magnitude.sum()
    return float(magnitude[mask].sum() / total) if total > 0 else float("nan")


def pointing_game(saliency: np.ndarray, mask: np.ndarray, tolerance: int = 0) -> float:
    """1.0 when the maximum of ``|saliency|`` lies on the mask dilated by ``tolerance`` pixels.

    Several maxima (ties) score the fraction of them that hit, so a flat map is not rewarded.
    """
    magnitude, mask = _check(saliency, mask)
    if tolerance > 0:
        mask = ndimage.binary_dilation(mask, iterations=tolerance)
    peaks = magnitude == magnitude.max()
    return float(mask[peaks].mean())


#: Score name -> function, the columns of a localization table.
LOCALIZATION_SCORES = {"auroc": mask_auroc, "energy": energy_in_mask, "pointing": pointing_game}


def localization_scores(saliency: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """Every score of :data:`LOCALIZATION_SCORES` for one map."""
    return {name: score(saliency, mask) for name, score in LOCALIZATION_SCORES.items()}


def cue_bits(path: str | Path) -> np.ndarray:
    """The planted-cue study's bit-field mask PNG as it is (bit ``k`` set where artifact ``k``
    was painted); a missing, unreadable or non-regular file is a one-line error naming it."""
    path = regular_file(path, "cue mask", "put it there or fix dataset.root and the image table's cue_mask_path")
    try:
        with Image.open(path) as image:
            return np.asarray(image)
    except (OSError, SyntaxError, ValueError) as exc:
        raise fail(path, f"corrupt or unreadable cue mask ({type(exc).__name__})", "replace the file") from exc


def cue_mask(path: str | Path) -> np.ndarray:
    """Boolean cue mask from the bit-field PNG (any bit set = cue; errors as :func:`cue_bits`)."""
    return cue_bits(path) > 0


def localization_per_map(maps: pd.DataFrame, masks: dict[str, np.ndarray], tolerance: int = 1) -> pd.DataFrame:
    """Scores of every map against its image's cue mask.

    ``maps`` has columns image_id and ``map`` (an (H, W) array) plus identifying columns that
    are kept (method, regime, arch, seed, kind, …). Images without a cue (an empty mask) have no
    right answer and are left out. The pointing game allows ``tolerance`` pixels.
    """
    rows = []
    keep = [c for c in maps.columns if c != "map"]
    for record in maps.to_dict("records"):
        mask = masks[record["image_id"]]
        if not mask.any():
            continue
        saliency = record["map"]
        rows.append(
            {
                **{c: record[c] for c in keep},
                "auroc": mask_auroc(saliency, mask),
                "energy": energy_in_mask(saliency, mask),
                "pointing": pointing_game(saliency, mask, tolerance),
                "mask_fraction": float(mask.mean()),
            }
        )
    return pd.DataFrame(rows)


def localization_summary(
    per_map: pd.DataFrame, by: list[str], n_boot: int = 2000, seed: int = 0, level: float = 0.95
) -> pd.DataFrame:
    """Mean and bootstrap CI over images of each score, per group of ``by``.

    Several maps of one image (the seeds of an architecture) are first averaged per image, so
    the bootstrap resamples images, the unit the CI is about.
    """
    summary = summarize_with_ci(
        per_map, by, [*LOCALIZATION_SCORES, "mask_fraction"], n_boot=n_boot, seed=seed, level=level
    )
    summary = summary.rename(columns={"n_image_id": "images", "mask_fraction": "energy_chance"})
    return summary.drop(columns=["mask_fraction_low", "mask_fraction_high"])


def maps_to_score(variant_maps: pd.DataFrame, ensemble_maps: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every map the localization table scores, with a ``kind`` column.

    ``variant``: each seed's map; ``prototype``: the mean map over an architecture's seeds (per
    regime: the two regimes explain different heads); ``bagging``/``stacking``: the ensembles'
    maps (arch ``ensemble``, regime ``val``, seed -1; columns image_id, kind, map).
    """
    groups = variant_maps.groupby(["regime", "arch", "image_id"], sort=True)
    protos = [
        {
            "arch": arch,
            "seed": -1,
            "image_id": image,
            "regime": regime,
            "kind": "prototype",
            "map": np.mean(np.stack(sub["map"].to_list()), axis=0),
        }
        for (regime, arch, image), sub in groups
    ]
    parts = [variant_maps.assign(kind="variant"), pd.DataFrame(protos)]
    if ensemble_maps is not None and len(ensemble_maps):
        parts.append(ensemble_maps.assign(arch="ensemble", seed=-1, regime="val"))
    return pd.concat(parts, ignore_index=True)


def localization_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Table 8: per method, regime, architecture and kind of map, each score's mean [95% CI]
    over images (cells as text, numeric ``<score>_mean/_low/_high`` beside them)."""
    table = summary[["method", "regime", "arch", "kind", "images"]].copy()
    table[list(LOCALIZATION_SCORES)] = ci_cells(summary, list(LOCALIZATION_SCORES), n="images")
    table["energy_chance"] = summary["energy_chance"]
    for score in LOCALIZATION_SCORES:
        table[[f"{score}_mean", f"{score}_low", f"{score}_high"]] = summary[[score, f"{score}_low", f"{score}_high"]]
    return table
