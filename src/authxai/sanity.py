"""Sanity checks for saliency maps (Adebayo et al. 2018), for regression heads on frozen trunks.

A map that explains *the model* must change when the model is destroyed. Two tests:

- **model-parameter randomization**: re-initialize the regression head, then additionally the
  backbone's stages from the top (output side) down (:func:`cascade_stages`,
  :func:`randomized_backbone`);
- **data randomization**: train the head on permuted ratings (:func:`permuted_targets`), so it
  can only memorize noise.

The randomized model's map is compared with the original's (:func:`map_similarity`: Spearman
rank correlation of the magnitudes, as in Adebayo et al., and SSIM of the max-normalized
magnitudes). A method *passes* a test when the bootstrap 95% CI of the mean Spearman r over
images (at least :data:`MIN_SANITY_IMAGES`) lies below a threshold, *fails* when it lies above,
and is *inconclusive* otherwise (:func:`sanity_verdicts`); a method whose maps stay put (an edge
detector) fails.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import torch
from scipy import stats
from skimage.metrics import structural_similarity
from torch import nn

from authxai.attribution.maps import map_array
from authxai.attribution.pipeline import explain_variants
from authxai.attribution.variants import ExplainedVariants, SharedTrunkVariants
from authxai.localization import to_mask_grid
from authxai.models.backbones import FAMILIES, RANDOM_INIT_SEED, fold_batchnorm, get_spec, split_backbone
from authxai.models.heads import RegressionHead
from authxai.progress import Progress
from authxai.statistics import MIN_CI_UNITS, TOO_FEW, summarize_with_ci

#: Similarities of a randomized map to the original (higher = less changed).
SIMILARITIES = ("spearman_abs", "ssim")


def cascade_stages(model: nn.Module, arch: str) -> list[str]:
    """Names of the backbone's stages with parameters, top (output side) first.

    A stage is a top-level child, or a child of a top-level ``Sequential`` (timm's ``blocks``,
    torchvision's ``features`` and ``layerN``, VGG's classifier layers).
    """
    skip = set(FAMILIES[get_spec(arch).family].unused_output)
    stages = []
    for name, child in model.named_children():
        parts = child.named_children() if isinstance(child, nn.Sequential) else [("", child)]
        for sub, module in parts:
            full = f"{name}.{sub}" if sub else name
            if full not in skip and name not in skip and any(True for _ in module.parameters()):
                stages.append(full)
    return stages[::-1]


def randomized_backbone(model: nn.Module, arch: str, depth: int | None, seed: int = 0) -> nn.Module:
    """A copy of ``model`` with its top ``depth`` stages re-initialized (``None``: all of them).

    The new weights (and normalization statistics) are drawn the way the architecture's own
    constructor draws them, as in Adebayo et al. PyTorch's per-layer ``reset_parameters``
    would shrink the signal at every layer: a fully re-drawn lite net then outputs ~1e-8
    activations, a constant prediction, and every map vanishes — a trivial "pass". The draw is
    offset from :data:`RANDOM_INIT_SEED`, which built the random-init control itself.
    """
    stages = cascade_stages(model, arch)
    chosen = stages if depth is None else stages[:depth]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(RANDOM_INIT_SEED + 1 + seed)
        fresh = get_spec(arch).build()
    copied = copy.deepcopy(model)
    for name in chosen:
        copied.get_submodule(name).load_state_dict(fresh.get_submodule(name).state_dict())
    return copied.eval().requires_grad_(False)


def reinitialized_head(head: RegressionHead, seed: int) -> RegressionHead:
    """A head of the same shape with freshly drawn weights (its output bias kept, so the
    prediction stays on the rating scale)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        fresh = RegressionHead(head.in_dim, head.hidden, head.dropout)
    with torch.no_grad():
        fresh.out.bias.copy_(head.out.bias)
    return fresh.eval()


def permuted_targets(y: torch.Tensor, seed: int) -> torch.Tensor:
    """The ratings shuffled over images: a head trained on them can only memorize noise."""
    gen = torch.Generator().manual_seed(seed)
    return y[torch.randperm(len(y), generator=gen)]


def _normalized_magnitude(m: np.ndarray) -> np.ndarray:
    mag = np.abs(np.asarray(m, dtype=np.float64))
    top = mag.max()
    return mag / top if top > 0 else mag


def map_similarity(original: np.ndarray, randomized: np.ndarray) -> dict[str, float]:
    """Spearman rank correlation of the magnitudes and SSIM of the max-normalized magnitudes.

    Maps of different resolutions are compared on the original's grid. A flat map (e.g. Grad-CAM
    of a random head, all negative before the ReLU) has no ranking: its Spearman r with a
    structured map is 0, with another flat map 1.
    """
    a = np.asarray(original, dtype=np.float64)
    b = to_mask_grid(np.asarray(randomized, dtype=np.float64), a.shape)
    ma, mb = np.abs(a).ravel(), np.abs(b).ravel()
    if ma.std() > 0 and mb.std() > 0:
        rho = float(stats.spearmanr(ma, mb).statistic)
    else:  # a flat map ranks nothing: it shares no ranking with a structured one
        rho = 1.0 if ma.std() == mb.std() == 0 else 0.0
    side = min(7, *a.shape)  # SSIM's window: odd, at most 7 px, inside the map
    win = side if side % 2 else side - 1
    ssim = float("nan")
    if win >= 3:
        ssim = float(
            structural_similarity(_normalized_magnitude(a), _normalized_magnitude(b), data_range=1.0, win_size=win)
        )
    return {"spearman_abs": rho, "ssim": ssim}


#: Fewest images a sanity verdict rests on: below, the verdict is "n too small" (never a pass).
MIN_SANITY_IMAGES = MIN_CI_UNITS
#: The verdicts of one test (:func:`ci_verdict`).
VERDICTS = ("pass", "fail", "inconclusive", TOO_FEW)


def ci_verdict(low: float, high: float, n_images: int, threshold: float) -> str:
    """One test's verdict from the 95% CI [low, high] of its mean Spearman r over ``n_images``
    images: "pass" when the whole CI lies below ``threshold`` (the maps changed), "fail" when
    it lies above, "inconclusive" when it contains it, "n too small" under
    :data:`MIN_SANITY_IMAGES` images (or none)."""
    if n_images < MIN_SANITY_IMAGES or np.isnan(low) or np.isnan(high):
        return TOO_FEW
    if high < threshold:
        return "pass"
    return "fail" if low > threshold else "inconclusive"


def sanity_verdicts(
    similarity: pd.DataFrame, model_level: str, threshold: float, n_boot: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """Verdicts per (method, arch) for the model test (at ``model_level``, the deepest
    randomization) and the data test (level ``data``): the mean Spearman r of |original| and
    |randomized| maps over images with its percentile bootstrap 95% CI over images, judged
    against ``threshold`` by :func:`ci_verdict`.

    ``similarity`` has columns method, arch, level, image_id, spearman_abs, ssim. Columns:
    method, arch; per test (``model``, ``data``) ``<test>_spearman`` with ``_low``/``_high``,
    ``<test>_ssim`` (mean), ``<test>_verdict`` and ``<test>_pass`` (verdict == "pass");
    ``sanity_images`` (the fewer images of the two tests) and ``passes`` (both pass).
    """
    summary = summarize_with_ci(
        similarity, ["method", "arch", "level"], list(SIMILARITIES), n_boot=n_boot, seed=seed
    ).set_index(["method", "arch", "level"])
    rows = []
    for (method, arch), sub in summary.groupby(level=["method", "arch"], sort=False):
        sub = sub.droplevel(["method", "arch"])
        row: dict = {"method": method, "arch": arch}
        images = []
        for test, level in (("model", model_level), ("data", "data")):
            found = sub.loc[level] if level in sub.index else pd.Series(dtype=float)
            rho, low, high = (
                float(found.get(c, np.nan)) for c in ("spearman_abs", "spearman_abs_low", "spearman_abs_high")
            )
            n = int(found.get("n_image_id", 0))
            images.append(n)
            verdict = ci_verdict(low, high, n, threshold)
            row.update(
                {
                    f"{test}_spearman": rho,
                    f"{test}_spearman_low": low,
                    f"{test}_spearman_high": high,
                    f"{test}_ssim": float(found.get("ssim", np.nan)),
                    f"{test}_verdict": verdict,
                    f"{test}_pass": verdict == "pass",
                }
            )
        row["sanity_images"] = min(images)
        row["passes"] = row["model_pass"] and row["data_pass"]
        rows.append(row)
    return pd.DataFrame(rows)


def randomization_maps(
    backbone: nn.Module,
    arch: str,
    head: RegressionHead,
    mask: torch.Tensor | None,
    data_head: RegressionHead,
    images: dict[str, torch.Tensor],
    methods: dict[str, dict],
    cascade: list[int | None],
    seed: int = 0,
    variant_seed: int = 0,
    precisions: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Maps of one variant (``head`` with channel ``mask`` on ``backbone``) and of its
    randomized versions, per method and image: columns method, image_id, level, stages, map.
    Each method runs at the trunk precision of its attribution jobs (``precisions``, default
    fp32), so the checks judge the maps the study computes.

    Levels: ``original``; ``head`` (head re-initialized); ``top<k>``/``all`` (head and the top
    k / all backbone stages re-initialized, one per entry of ``cascade``, None = all); ``data``
    (the head trained on permuted ratings). The original, head and data maps share one trunk.
    Every level of an image gets the LIME draw of the Experiment 2 variant ``variant_seed``
    (the attribution stage's), so randomization, not sampling noise, is what changes a map.
    """
    device = next(backbone.parameters()).device
    fresh_head = reinitialized_head(head, seed).to(device)
    n_stages = len(cascade_stages(backbone, arch))

    def models():
        """(levels, stages re-initialized, backbone, heads): one backbone copy alive at a time."""
        yield ["original", "head", "data"], 0, backbone, [head, fresh_head, data_head]
        for depth in cascade:
            level = "all" if depth is None else f"top{depth}"
            yield (
                [level],
                n_stages if depth is None else depth,
                randomized_backbone(backbone, arch, depth, seed),
                [fresh_head],
            )

    rows = []
    progress = Progress("sanity maps (model x method x image)", (1 + len(cascade)) * len(methods) * len(images))
    precisions = precisions or {}
    for levels, stages, model, heads in models():
        trunk, tail = split_backbone(fold_batchnorm(model, arch), arch)  # after re-initializing
        for method, settings in methods.items():
            precision = precisions.get(method, "fp32")
            variants = SharedTrunkVariants(trunk, tail, heads, [mask] * len(heads), precision, method).eval()
            for image_id, image in images.items():
                who = ExplainedVariants(arch, "test", image_id, (variant_seed,) * len(heads))
                for level, row in zip(levels, explain_variants(method, variants, image, settings, who)):
                    rows.append(
                        {
                            "method": method,
                            "image_id": image_id,
                            "level": level,
                            "stages": stages,
                            "map": map_array(row),
                        }
                    )
                progress.advance()
    progress.close()
    return pd.DataFrame(rows)


def randomization_similarity(maps: pd.DataFrame) -> pd.DataFrame:
    """Similarity of every randomized map to the original map of its (method, image)."""
    original = maps[maps["level"] == "original"].set_index(["method", "image_id"])["map"]
    rows = [
        {
            **{k: r[k] for k in ("method", "image_id", "level", "stages")},
            **map_similarity(original.loc[(r["method"], r["image_id"])], r["map"]),
        }
        for r in maps[maps["level"] != "original"].to_dict("records")
    ]
    return pd.DataFrame(rows)
