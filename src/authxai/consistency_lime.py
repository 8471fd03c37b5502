"""Within-architecture consistency of LIME maps, free of the bias of a shared perturbation draw.

With ``attribution.lime.shared_samples`` every variant's surrogate is fit on the same
perturbation draw, so the variants' maps share LIME's sampling noise and their correlation is
inflated (the draw, not the models, agrees). LIME rows store each variant's outputs on its draw
(``predictions``) and the draw's seed, so the surrogate can be refit on each half of the draw
(rows [0, n/2) and [n/2, n)): half A of one variant and half B of another have independent
sampling noise. Per image, for variants i < j on one shared draw:

- ``r_half(i, j)`` = mean of pearson(A_i, B_j) and pearson(B_i, A_j) (n/2 samples each);
- ``rel_i`` = pearson(A_i, B_i), each map's split-half reliability; ``rel_half`` its mean
  over the image's variants;
- ``pearson`` = ``r_half · 2 / (1 + rel_half)``: projected to n samples with Spearman–Brown
  (between maps with independent noise r(n) = ρ·rel(n), rel(n) = 2·rel(n/2) / (1 + rel(n/2)));
- ``pearson_noise_corrected`` = ``r_half / rel_half`` = ρ, LIME's sampling noise removed
  (an attenuation correction: it may exceed 1);
- ``lime_reliability`` = ``2·rel_half / (1 + rel_half)``: each map's reliability at n samples,
  LIME's own noise floor;
- ``pearson_shared`` = the raw r of the two full maps (the inflated shared-draw number);
- top-p% IoU from the cross-half pairs (n/2 samples: IoU has no projection).

Pairs on different draws (``shared_samples: false``, the paper's way) already have independent
noise: ``pearson`` and IoU are the full maps', the reliability comes from split halves all the
same, and ``pearson_noise_corrected`` = ``pearson / lime_reliability``. The ``estimate`` column
says which it is, from the rows' draws and sample sizes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from authxai.attribution.lime_surrogate import perturbations, split_half_explanations
from authxai.attribution.maps import map_array, read_attributions, segments_array
from authxai.consistency import IOU_FRACTIONS, pair_agreement
from authxai.statistics import pearson, spearman_brown

#: What :func:`lime_within` reads of a LIME attribution table.
LIME_WITHIN_COLUMNS = (
    "arch",
    "seed",
    "height",
    "width",
    "map",
    "segments",
    "n_segments",
    "perturbation_seed",
    "num_samples",
    "predictions",
)


@dataclass(frozen=True)
class VariantMaps:
    """One variant's LIME map of one image, its two split-half maps and its draw."""

    seed: int
    full: np.ndarray
    half_a: np.ndarray
    half_b: np.ndarray
    draw: int
    num_samples: int


def variant_maps(row) -> VariantMaps:
    """A LIME attribution row's map and its surrogate refit on each half of its stored draw."""
    z = perturbations(int(row["n_segments"]), int(row["num_samples"]), int(row["perturbation_seed"]))
    y = np.asarray(row["predictions"], np.float64)
    a, b = split_half_explanations(z, y, segments_array(row))
    return VariantMaps(int(row["seed"]), map_array(row), a.map, b.map, int(row["perturbation_seed"]), len(z))


def _mean(dicts: list[dict[str, float]]) -> dict[str, float]:
    return {key: float(np.nanmean([d[key] for d in dicts])) for key in dicts[0]}


def estimate_label(shared_pairs: Iterable[bool], num_samples: Iterable[int]) -> str:
    """What an image's LIME ``pearson`` is, from whether its pairs of variants share a draw and
    the draws' sample sizes."""
    shared = set(shared_pairs)
    sizes = sorted(set(num_samples))
    n = "/".join(str(s) for s in sizes)
    half = "/".join(str(s // 2) for s in sizes)
    labels = []
    if True in shared:
        labels.append(
            f"independent: split halves of one shared {n}-sample draw, Pearson r projected to {n} samples "
            f"(Spearman–Brown), IoU at {half} samples"
        )
    if False in shared:
        labels.append(f"independent draws per variant ({n} samples)")
    return "; ".join(labels)


def image_within(variants: list[VariantMaps], fractions=IOU_FRACTIONS) -> tuple[list[dict], dict]:
    """Per pair of variants (seed_a < seed_b) and for the image: the independent estimate of
    within-architecture agreement (see the module docstring)."""
    variants = sorted(variants, key=lambda v: v.seed)
    if len(variants) < 2:
        raise ValueError(f"consistency needs at least two maps (got {len(variants)})")
    rel_half = float(np.nanmean([pearson(v.half_a, v.half_b) for v in variants]))
    # a reliability at or below 0 is all noise: no projection (factor 2/(1+0) at most)
    project = 2 / (1 + max(rel_half, 0.0))
    pairs = []
    for a, b in combinations(variants, 2):
        shared = a.draw == b.draw
        if shared:
            cross = _mean(
                [pair_agreement(a.half_a, b.half_b, fractions), pair_agreement(a.half_b, b.half_a, fractions)]
            )
            agreement = {**cross, "pearson": cross["pearson"] * project}
            raw = pearson(a.full, b.full)
        else:
            agreement, raw = pair_agreement(a.full, b.full, fractions), float("nan")
        pairs.append({"seed_a": a.seed, "seed_b": b.seed, **agreement, "pearson_shared": raw, "shared_draw": shared})
    table = pd.DataFrame(pairs)
    reliability = spearman_brown(rel_half)
    r = float(table["pearson"].mean())
    image = {
        "n_variants": len(variants),
        "pearson": r,
        "lime_reliability": reliability,
        "pearson_noise_corrected": r / reliability if reliability > 0 else float("nan"),
        **{c: float(table[c].mean()) for c in table.columns if c.startswith("iou")},
        "pearson_shared": float(table["pearson_shared"].mean()),
        "estimate": estimate_label(table["shared_draw"], [v.num_samples for v in variants]),
    }
    return [{k: v for k, v in p.items() if k != "shared_draw"} for p in pairs], image


def lime_within_tables(rows: pd.DataFrame, fractions=IOU_FRACTIONS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pairs, per_image) of LIME rows (columns :data:`LIME_WITHIN_COLUMNS` and image_id): per
    (arch, image_id) and pair of variants, and per (arch, image_id), as
    :func:`authxai.consistency.within_pairs` and :func:`~authxai.consistency.mean_over_pairs`
    with the independent estimate in ``pearson`` and the columns of the module docstring."""
    pairs, per_image = [], []
    for (arch, image), sub in rows.groupby(["arch", "image_id"], sort=True):
        image_pairs, summary = image_within([variant_maps(row) for _, row in sub.iterrows()], fractions)
        pairs += [{"arch": arch, "image_id": image, **p} for p in image_pairs]
        per_image.append({"arch": arch, "image_id": image, **summary})
    return pd.DataFrame(pairs), pd.DataFrame(per_image)


def lime_within(paths: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pairs, per_image) within-architecture consistency of the LIME tables of ``paths``."""
    return lime_within_tables(read_attributions(paths, columns=list(LIME_WITHIN_COLUMNS)))
