"""The randomized models of the sanity checks and their maps (torch)."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import pandas as pd
import torch
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
