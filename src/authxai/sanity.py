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
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from scipy import stats
from skimage.metrics import structural_similarity
from torch import nn

from authxai.attribution.maps import map_array
from authxai.attribution.methods import get_method
from authxai.attribution.pipeline import explain_variants
from authxai.attribution.variants import (
    BranchedTrunkVariants,
    ExplainedVariants,
    SharedTrunkVariants,
    shared_stages,
)
from authxai.localization import to_mask_grid
from authxai.models.backbones import (
    FAMILIES,
    RANDOM_INIT_SEED,
    Tail,
    Trunk,
    fold_batchnorm,
    get_spec,
    split_backbone,
)
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


@dataclass
class _Network:
    """One network of the randomization checks: the levels its heads give (one per head), how
    many backbone stages were re-initialized, its folded trunk and tail, and the heads."""

    levels: list[str]
    stages: int
    trunk: Trunk
    tail: Tail
    heads: list[RegressionHead]

    def variants(self, mask: torch.Tensor | None, precision: str, label: str) -> SharedTrunkVariants:
        return SharedTrunkVariants(self.trunk, self.tail, self.heads, [mask] * len(self.heads), precision, label).eval()


def _networks(
    backbone: nn.Module, arch: str, heads: list[RegressionHead], cascade: list[int | None], seed: int
) -> list[_Network]:
    """The original network (heads: original, re-initialized, data-randomized) and one copy per
    entry of ``cascade`` (the re-initialized head on the top k / all stages re-drawn), folded
    after re-initializing."""
    n_stages = len(cascade_stages(backbone, arch))
    networks = [_Network(["original", "head", "data"], 0, *split_backbone(fold_batchnorm(backbone, arch), arch), heads)]
    for depth in cascade:
        model = randomized_backbone(backbone, arch, depth, seed)
        trunk, tail = split_backbone(fold_batchnorm(model, arch), arch)
        level = "all" if depth is None else f"top{depth}"
        networks.append(_Network([level], n_stages if depth is None else depth, trunk, tail, heads[1:2]))
    return networks


def _explained_together(networks: list[_Network]) -> tuple[list[_Network], int, list[_Network]]:
    """(networks that share trunk stages with the original, how many they share, the rest): a
    copy re-initialized from the top keeps every stage below the re-drawn ones, so the methods
    that read only outputs run those stages once for the original and all such copies."""
    cuts = [shared_stages([networks[0].trunk, n.trunk]) for n in networks[1:]]
    together = [networks[0], *(n for n, cut in zip(networks[1:], cuts) if cut > 0)]
    cut = min([cut for cut in cuts if cut > 0], default=0)
    return together, cut, [n for n, c in zip(networks[1:], cuts) if c == 0]


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
    share_stages: bool = True,
) -> pd.DataFrame:
    """Maps of one variant (``head`` with channel ``mask`` on ``backbone``) and of its
    randomized versions, per method and image: columns method, image_id, level, stages, map.
    Each method runs at the trunk precision of its attribution jobs (``precisions``, default
    fp32), so the checks judge the maps the study computes.

    Levels: ``original``; ``head`` (head re-initialized); ``top<k>``/``all`` (head and the top
    k / all backbone stages re-initialized, one per entry of ``cascade``, None = all); ``data``
    (the head trained on permuted ratings). The original, head and data maps share one trunk;
    for the methods that read only outputs (``Method.forward_only``), so do the stages a
    re-initialized copy kept (:class:`~authxai.attribution.variants.BranchedTrunkVariants`:
    the same maps as one network at a time, from fewer passes; ``share_stages=False``: one
    network at a time, the reference). Every level of an image gets
    the LIME draw of the Experiment 2 variant ``variant_seed`` (the attribution stage's), so
    randomization, not sampling noise, is what changes a map.
    """
    device = next(backbone.parameters()).device
    fresh_head = reinitialized_head(head, seed).to(device)
    networks = _networks(backbone, arch, [head, fresh_head, data_head], cascade, seed)
    together, cut, alone = _explained_together(networks) if share_stages else (networks[:1], 0, networks[1:])
    precisions = precisions or {}
    rows = []
    progress = Progress("sanity maps (network x method x image)", len(networks) * len(methods) * len(images))
    for method, settings in methods.items():
        precision = precisions.get(method, "fp32")
        if get_method(method).forward_only:
            branched = BranchedTrunkVariants([n.variants(mask, precision, method) for n in together], cut)
            runs = [(together, branched), *(([n], n.variants(mask, precision, method)) for n in alone)]
        else:
            runs = [([n], n.variants(mask, precision, method)) for n in networks]
        for members, variants in runs:
            levels = [(level, n.stages) for n in members for level in n.levels]
            for image_id, image in images.items():
                who = ExplainedVariants(arch, "test", image_id, (variant_seed,) * len(levels))
                for (level, stages), row in zip(levels, explain_variants(method, variants, image, settings, who)):
                    rows.append(
                        {
                            "method": method,
                            "image_id": image_id,
                            "level": level,
                            "stages": stages,
                            "map": map_array(row),
                        }
                    )
                progress.advance(len(members))
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
