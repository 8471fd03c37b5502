"""Counterfactual ground truth for the planted-cue study: which cues does a model actually use?

Cue AUROC (:mod:`authxai.localization`) scores a map against where the artifacts were painted,
which is the right answer only if the model uses those artifacts. The study renders every image
itself, so it can render the same image without any one artifact
(:func:`authxai.data.synthetic.render_image`'s ``without=``) and measure how much each
variant's prediction moves: the effect of artifact *k* on variant *v* is
``f_v(x) − f_v(x without k)``, and ``"all"`` leaves out every planted artifact at once.

- :func:`image_counterfactuals` renders an image's counterfactuals and predicts them for every
  variant in one forward pass (the table of the ``counterfactual`` rule);
- :func:`variance_share` / :func:`variance_share_table`: do the heads use the cues at all —
  the share of the variance of the predictions over images that removing the cues accounts for,
  with a bootstrap CI over images (Table 10, :func:`variance_share_display`);
- :func:`counterfactual_truth`: a model-grounded truth per image and variant, each cue region
  weighted by how much that variant relies on it;
- :func:`region_agreement`: whether a map ranks an image's cue regions (two or more; the
  background is not one) as the counterfactual effects do (the scorecard's ``cf_agreement``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from PIL import Image
from scipy import stats

from authxai.data.adapters import open_rgb
from authxai.data.geometry import resize_and_crop
from authxai.data.synthetic import ARTIFACT_KINDS, planted_kinds, render_image
from authxai.errors import fail
from authxai.localization import cue_bits, to_mask_grid
from authxai.statistics import bootstrap_statistic_ci, ci_cells

if TYPE_CHECKING:
    import torch

#: The ``artifact`` label of the counterfactual that leaves out every planted artifact.
ALL = "all"
#: Columns of a counterfactual table (one row per variant, image and left-out artifact).
COLUMNS = (
    "arch",
    "seed",
    "image_id",
    "role",
    "artifact",
    "severity",
    "region_px",
    "prediction",
    "prediction_without",
    "effect",
)


def counterfactual_renders(
    row: pd.Series, size: int, non_realistic: bool
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The full rendering of a plan row, its cue bit field, and per planted kind and ``"all"``
    the image without it.

    An image without cues gets ``{"all": full image}`` (removing nothing changes nothing); with
    one cue, ``"all"`` is that cue's counterfactual.
    """
    full, cue = render_image(row, size, non_realistic)
    kinds = planted_kinds(row)
    without = {kind: render_image(row, size, non_realistic, without=kind)[0] for kind in kinds}
    if len(kinds) > 1:
        without[ALL] = render_image(row, size, non_realistic, without=kinds)[0]
    else:
        without[ALL] = without[kinds[0]] if kinds else full
    return full, cue, without


def cue_regions(bits: np.ndarray, kinds: Iterable[str] = ARTIFACT_KINDS) -> dict[str, np.ndarray]:
    """Boolean mask of each of ``kinds`` in a cue bit field (bit ``k`` = ``ARTIFACT_KINDS[k]``);
    kinds absent from it are left out."""
    bits = np.asarray(bits)
    regions = {kind: (bits >> ARTIFACT_KINDS.index(kind) & 1).astype(bool) for kind in kinds}
    return {kind: mask for kind, mask in regions.items() if mask.any()}


def view_regions(mask_path: str | Path, resize: int, crop: int) -> dict[str, np.ndarray]:
    """Each cue's region of a bit-field mask file as an architecture saw the image: the
    models' geometry (:func:`authxai.data.geometry.resize_and_crop`) with nearest-neighbour
    resizing, so the bits stay the ones painted. A missing or unreadable file is one line."""
    bits = Image.fromarray(cue_bits(mask_path))
    return cue_regions(np.asarray(resize_and_crop(bits, resize, crop, nearest=True)))


def image_counterfactuals(
    model: Callable[[torch.Tensor], torch.Tensor],
    row: pd.Series,
    size: int,
    non_realistic: bool,
    to_input: Callable[[np.ndarray], torch.Tensor],
    seeds: list[int],
    device: torch.device | str = "cpu",
) -> tuple[pd.DataFrame, np.ndarray]:
    """Every variant's prediction of one planned image with and without each planted artifact.

    ``model`` maps a batch (B, 3, H, W) to (B, V) — all variants at once
    (:class:`authxai.attribution.variants.SharedTrunkVariants`); ``seeds`` names its V columns.
    ``to_input`` turns a uint8 rendering into the model's input tensor (the preprocessing of
    :func:`authxai.models.features.load_image`). The full image and its distinct
    counterfactuals go through one forward pass.

    Returns the rows (image_id, seed, artifact — a kind or ``"all"`` —, severity, region_px —
    the cue's pixels in the rendered image, the union for ``"all"`` —, prediction,
    prediction_without, effect = prediction − prediction_without) and the full rendering.
    """
    import torch  # here, not at the top: the table and agreement jobs import this module without torch

    full, cue, without = counterfactual_renders(row, size, non_realistic)
    # "all" repeats a render when the image has < 2 cues: forward each distinct image once
    distinct = {id(img): img for img in [full, *without.values()]}
    position = {key: i for i, key in enumerate(distinct)}
    with torch.no_grad():
        batch = torch.stack([to_input(img) for img in distinct.values()]).to(device)
        out = model(batch).float().cpu().numpy()
    if out.shape != (len(distinct), len(seeds)):
        raise ValueError(f"model output {out.shape}: expected ({len(distinct)}, {len(seeds)}) — one column per seed")
    prediction = out[position[id(full)]]
    rows = []
    for artifact, img in without.items():
        if artifact == ALL:
            severity, region = float(sum(row[f"{k}_severity"] for k in planted_kinds(row))), cue > 0
        else:
            severity, region = float(row[f"{artifact}_severity"]), cue_regions(cue, [artifact])[artifact]
        after = out[position[id(img)]]
        for v, seed in enumerate(seeds):
            rows.append(
                {
                    "image_id": row["image_id"],
                    "seed": int(seed),
                    "artifact": artifact,
                    "severity": severity,
                    "region_px": int(region.sum()),
                    "prediction": float(prediction[v]),
                    "prediction_without": float(after[v]),
                    "effect": float(prediction[v] - after[v]),
                }
            )
    return pd.DataFrame(rows), full


#: Mean absolute difference (grey levels of 255) a re-rendered image may have from its file.
#: Rendering is not bit-reproducible across processes: numpy's float32 reductions take SIMD
#: paths that depend on the arrays' memory alignment, and the 8-bit rounding and JPEG step of
#: the degradation turn ~1e-7 into a level or a few on ~1% of the pixels (mean ~0.03); another
#: renderer (other random streams, other artifact places) differs by several levels on average.
RENDERING_TOLERANCE = 0.5


def check_rendering(full: np.ndarray, path: str | Path, tolerance: float = RENDERING_TOLERANCE) -> None:
    """One-line error when the study's image file is not the rendering of its plan (the
    counterfactuals would then be of other pixels than the ones the models were trained and
    explained on), e.g. a study rendered by an older version of the renderer: mean absolute
    difference above ``tolerance`` grey levels."""
    stored = np.asarray(open_rgb(path))
    if stored.shape != full.shape or np.abs(stored.astype(np.int16) - full.astype(np.int16)).mean() > tolerance:
        raise fail(
            path,
            "differs from the rendering of its plan (rendered by another version of authxai.data.synthetic?)",
            "rerun the study: snakemake --forcerun synthesize_study",
        )


# ----------------------------------------------------------------- do the heads use the cues?


def _r2_columns(prediction: np.ndarray, effect: np.ndarray) -> np.ndarray:
    """Squared Pearson r of matching columns of two (..., n, V) arrays over the n axis; NaN
    where either column is constant."""
    p = prediction - prediction.mean(axis=-2, keepdims=True)
    e = effect - effect.mean(axis=-2, keepdims=True)
    pp, ee = (p * p).sum(axis=-2), (e * e).sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = (p * e).sum(axis=-2) ** 2 / (pp * ee)
    # a column that does not vary (to rounding) has no share to explain
    scale = np.maximum(np.abs(prediction).max(axis=-2), np.abs(effect).max(axis=-2)) + 1e-30
    degenerate = (np.sqrt(pp) <= 1e-9 * scale) | (np.sqrt(ee) <= 1e-9 * scale)
    return np.where(degenerate, np.nan, r2)


def variance_share(prediction: np.ndarray, effect: np.ndarray) -> float:
    """Share of the variance of a model's predictions over images that its planted cues
    account for: R² = r(f(x), f(x) − f(x without all cues))² over images.

    If a prediction is a part the cues add plus a part they do not,
    f(x) = g(x) + c(x) with c = f(x) − f(x without cues) uncorrelated with g, then
    r(f, c)² = Var(c) / Var(f): exactly the share of the variance the cues carry. Images
    without cues take part with an effect of 0. NaN when the predictions or the effects do not
    vary.
    """
    prediction = np.asarray(prediction, dtype=np.float64)[:, None]
    effect = np.asarray(effect, dtype=np.float64)[:, None]
    return float(_r2_columns(prediction, effect)[0])


def variance_share_table(
    counterfactual: pd.DataFrame, n_boot: int = 2000, seed: int = 0, level: float = 0.95
) -> pd.DataFrame:
    """Per architecture, :func:`variance_share` of each variant (``kind="variant"``) and their
    mean (``kind="mean"``, seed −1), each with a percentile bootstrap CI over images (the
    architecture's variants resampled on the same images).

    ``counterfactual`` is the ``counterfactual`` rule's table (its ``"all"`` rows are used).
    Columns besides the R²: ``images``, ``prediction_sd`` (SD of the predictions over images)
    and ``mean_abs_effect`` (mean |f(x) − f(x without all)| over the images that have cues),
    for the mean also ``r2_min``/``r2_max`` over the variants.
    """
    rows = []
    everything = counterfactual[counterfactual["artifact"] == ALL]
    for arch, sub in everything.groupby("arch", sort=True):
        prediction = sub.pivot(index="image_id", columns="seed", values="prediction")
        effect = sub.pivot(index="image_id", columns="seed", values="effect").loc[prediction.index, prediction.columns]
        cued = sub.groupby("image_id")["region_px"].first().loc[prediction.index].to_numpy() > 0
        p, e = prediction.to_numpy(np.float64), effect.to_numpy(np.float64)
        per_variant = _r2_columns(p, e)

        def resampled(idx: np.ndarray, p: np.ndarray = p, e: np.ndarray = e) -> np.ndarray:
            return _r2_columns(p[idx], e[idx])  # (n_boot, V)

        low, high = bootstrap_statistic_ci(resampled, len(p), n_boot=n_boot, level=level, seed=seed)
        base = {"arch": arch, "images": len(p)}
        for v, variant_seed in enumerate(prediction.columns):
            rows.append(
                {
                    **base,
                    "kind": "variant",
                    "seed": int(variant_seed),
                    "r2": per_variant[v],
                    "r2_low": low[v],
                    "r2_high": high[v],
                    "prediction_sd": float(p[:, v].std(ddof=1)),
                    "mean_abs_effect": float(np.abs(e[cued, v]).mean()) if cued.any() else np.nan,
                }
            )
        mean_low, mean_high = bootstrap_statistic_ci(
            lambda idx: np.nanmean(resampled(idx), axis=-1), len(p), n_boot=n_boot, level=level, seed=seed
        )
        rows.append(
            {
                **base,
                "kind": "mean",
                "seed": -1,
                "r2": float(np.nanmean(per_variant)),
                "r2_low": float(mean_low),
                "r2_high": float(mean_high),
                "prediction_sd": float(p.std(axis=0, ddof=1).mean()),
                "mean_abs_effect": float(np.abs(e[cued]).mean()) if cued.any() else np.nan,
                "r2_min": float(np.nanmin(per_variant)),
                "r2_max": float(np.nanmax(per_variant)),
            }
        )
    return pd.DataFrame(rows)


def variance_share_display(summary: pd.DataFrame) -> pd.DataFrame:
    """Table 10: per architecture, the variance share of the mean over variants as
    ``mean [low, high]``, its range over the variants, the predictions' SD and the mean
    |effect| of removing every cue (numeric ``r2_mean/_low/_high`` beside the cell)."""
    mean = summary[summary["kind"] == "mean"].reset_index(drop=True)
    table = mean[["arch", "images"]].copy()
    table["r2"] = ci_cells(mean, ["r2"], n="images")["r2"]
    table["r2_variants"] = [f"{lo:.2f}–{hi:.2f}" for lo, hi in zip(mean["r2_min"], mean["r2_max"])]
    table[["prediction_sd", "mean_abs_effect"]] = mean[["prediction_sd", "mean_abs_effect"]]
    table[["r2_mean", "r2_low", "r2_high"]] = mean[["r2", "r2_low", "r2_high"]]
    return table


# ----------------------------------------------------------------- the model-grounded truth


def counterfactual_truth(
    regions: Mapping[str, np.ndarray], effects: Mapping[str, float]
) -> tuple[np.ndarray, dict[str, float]]:
    """The model-grounded truth of one image for one variant: (truth map, region weights).

    Each cue region's weight is the variant's reliance on it, |effect| of removing that cue,
    as a share of the total over the image's cues (all 0 when no cue moves the prediction).
    The map (H, W) holds at each pixel the sum of the weights of the regions it lies in (a
    pixel of two overlapping cues belongs to both), 0 on the background. ``regions``: kind →
    boolean mask (:func:`cue_regions`); ``effects``: kind → effect; kinds in only one of them
    are left out.
    """
    kinds = [k for k in regions if k in effects]
    if not kinds:
        raise ValueError(f"no cue with both a region and an effect (regions {list(regions)}, effects {list(effects)})")
    magnitude = np.array([abs(float(effects[k])) for k in kinds])
    total = magnitude.sum()
    weights = dict(zip(kinds, magnitude / total if total > 0 else np.zeros_like(magnitude)))
    truth = np.zeros(np.shape(regions[kinds[0]]), dtype=np.float64)
    for kind in kinds:
        truth += weights[kind] * np.asarray(regions[kind], dtype=bool)
    return truth, {k: float(w) for k, w in weights.items()}


def region_agreement(saliency: np.ndarray, regions: Mapping[str, np.ndarray], effects: Mapping[str, float]) -> float:
    """Does a map order an image's cues as the model relies on them? Spearman's rank r over the
    image's cue regions between the map's mean |value| per pixel in each region and the
    region's |counterfactual effect|.

    The regions are the cue regions with an effect (``regions`` ∩ ``effects``; a pixel of two
    overlapping cues counts for both); the background is not one of them. Counted as a region
    of effect 0 it would turn an image with one cue into a ±1 test of "cue brighter than the
    background" (cue AUROC's question), not an ordering by reliance. Mean per pixel, not total,
    so that a large region does not win by its size; magnitudes, as the cue AUROC, because a
    cue may raise or lower the prediction. 1: the map orders the cues as the model uses them;
    −1: the reverse. NaN where it is undefined: fewer than two cue regions, or ties in every
    effect or in every region mean (no order to agree with). A map on another grid than the
    masks is resized to theirs (:func:`authxai.localization.to_mask_grid`).
    """
    kinds = [k for k in regions if k in effects]
    if len(kinds) < 2:
        return float("nan")
    magnitude = np.abs(to_mask_grid(saliency, np.shape(regions[kinds[0]])))
    means = [float(magnitude[np.asarray(regions[k], dtype=bool)].mean()) for k in kinds]
    targets = [abs(float(effects[k])) for k in kinds]
    if np.ptp(means) == 0 or np.ptp(targets) == 0:
        return float("nan")
    return float(np.corrcoef(stats.rankdata(means), stats.rankdata(targets))[0, 1])


def agreement_per_map(
    maps: pd.DataFrame, counterfactual: pd.DataFrame, regions: Mapping[tuple[str, str], Mapping[str, np.ndarray]]
) -> pd.DataFrame:
    """:func:`region_agreement` of every map with its own variant's counterfactual effects.

    ``maps``: one row per map with arch, seed, image_id and the (H, W) ``map`` (other columns
    are kept); ``counterfactual``: the ``counterfactual`` rule's table; ``regions``: (arch,
    image_id) → kind → mask in that architecture's view of the image. Adds ``cf_agreement``
    (NaN on images with fewer than two cue regions), ``regions`` (cue regions compared) and
    ``top_weight`` (the largest region weight of :func:`counterfactual_truth`). Maps without
    counterfactuals (an image or seed the table lacks) are an error: the workflow lists both
    for the same images.
    """
    single = counterfactual[counterfactual["artifact"] != ALL]
    effects = {
        key: dict(zip(sub["artifact"], sub["effect"]))
        for key, sub in single.groupby(["arch", "seed", "image_id"], sort=False)
    }
    known = set(counterfactual[["arch", "seed", "image_id"]].itertuples(index=False, name=None))
    keep = [c for c in maps.columns if c != "map"]
    rows = []
    for record in maps.to_dict("records"):
        key = (record["arch"], int(record["seed"]), record["image_id"])
        if key not in known:
            raise ValueError(f"no counterfactual of {key} (arch, seed, image): the table covers other variants")
        effect = effects.get(key, {})
        region = regions[(record["arch"], record["image_id"])]
        shown = [k for k in region if k in effect]
        top = max(counterfactual_truth(region, effect)[1].values()) if shown else np.nan
        rows.append(
            {
                **{c: record[c] for c in keep},
                "cf_agreement": region_agreement(record["map"], region, effect),
                "regions": len(shown),
                "top_weight": top,
            }
        )
    return pd.DataFrame(rows)
