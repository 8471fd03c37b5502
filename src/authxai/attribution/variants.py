"""Variants of one architecture as one module: shared trunk, per-variant (mask, head).

Every seed (and pruning mask) of an architecture acts *after* the target layer, so a batch of
images needs one trunk pass for all variants; only the cheap tail + head run per variant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from authxai import precision as precisions
from authxai.attribution.occlusion import PatchOcclusion
from authxai.models.backbones import (
    Tail,
    Trunk,
    TrunkOutput,
    build_backbone,
    fold_batchnorm,
    on_device,
    split_backbone,
)
from authxai.models.heads import RegressionHead, load_head
from authxai.models.layout import channels_last
from authxai.pruning import load_pruning


@dataclass(frozen=True)
class ExplainedVariants:
    """Whom one attribution job explains: the variants ``seeds`` of ``arch`` (pruned in
    ``regime``) on ``image_id``. A seed may repeat (the sanity checks explain one variant's
    randomized copies): repeated seeds get the same LIME draw."""

    arch: str
    regime: str
    image_id: str
    seeds: tuple[int, ...]


class VariantModel(nn.Module):
    """One variant (trunk -> tail with channel mask -> head) as a scalar-output model."""

    def __init__(self, trunk: Trunk, tail: Tail, head: RegressionHead, mask: torch.Tensor | None = None) -> None:
        super().__init__()
        self.trunk, self.tail, self.head = trunk, tail, head
        self.register_buffer("mask", mask if mask is not None else None, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.trunk(x)
        return self.head(self.tail(out.act, out.aux, self.mask))[0]


#: Precisions the trunk may run in (``attribution.precision``).
PRECISIONS = ("fp32", "bf16")


class SharedTrunkVariants(nn.Module):
    """All variants of an architecture: ``forward(x) -> (B, V)`` with one trunk pass.

    ``precision="bf16"`` runs the trunk (the expensive part) under bfloat16 autocast and
    everything after it — tail, heads, and the differences callers take — in float32: a bf16
    head would move a prediction near 50 in steps of 0.25 rating points, rounding the small
    drops of a 3-px MPM patch to 0 or to a step. The default is float32 on every device, so GPU
    and CPU maps agree. bf16 on a device without native bf16 (an AVX2-only CPU) runs fp32
    (:func:`authxai.precision.trunk_precision`, one line saying so); ``precision`` is what it
    runs at, ``requested_precision`` what was asked, and every pass records it under ``label``
    (a method) for the provenance (:func:`authxai.precision.used`). The trunk's convolutions are
    put in channels-last layout, in place (:func:`authxai.models.layout.channels_last`).
    """

    def __init__(
        self,
        trunk: Trunk,
        tail: Tail,
        heads: list[RegressionHead],
        masks: list[torch.Tensor | None] | None = None,
        precision: str = "fp32",
        label: str = "trunk",
    ) -> None:
        super().__init__()
        if precision not in PRECISIONS:
            raise ValueError(f"precision {precision!r}: use one of {PRECISIONS}")
        device = next(trunk.parameters(), torch.empty(0)).device
        channels_last(trunk)  # the layout fast convolutions need (authxai.models.layout)
        self.trunk, self.tail, self.label, self.requested_precision = trunk, tail, label, precision
        self.precision = precisions.trunk_precision(precision, device.type, label)
        self.heads = nn.ModuleList(heads)
        self.masks = list(masks) if masks is not None else [None] * len(heads)

    def from_trunk(self, out: TrunkOutput) -> torch.Tensor:
        """(B, V) predictions of every variant from one trunk output."""
        cols = []
        unmasked = None
        for head, mask in zip(self.heads, self.masks):
            if mask is None:
                if unmasked is None:  # the tail is shared by every unpruned variant
                    unmasked = self.tail(out.act, out.aux)
                emb = unmasked
            else:
                emb = self.tail(out.act, out.aux, mask.to(out.act.device))
            cols.append(head(emb.float())[0])
        return torch.stack(cols, dim=1)

    def _autocast(self, device: torch.device) -> torch.autocast:
        precisions.record(self.label, self.precision)
        return torch.autocast(device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16")

    def _from_trunk_fp32(self, out: TrunkOutput) -> torch.Tensor:
        return self.from_trunk(TrunkOutput(out.act.float(), None if out.aux is None else out.aux.float()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with self._autocast(x.device):
            out = self.trunk(x)
        return self._from_trunk_fp32(out)

    def occluded(
        self, image: torch.Tensor, baseline: float = 0.0
    ) -> Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor]:
        """``patched(rows, cols, side) -> (N, V)``: every variant's output on ``image`` (C, H, W)
        with a ``side``-pixel square centred at each (row, col) set to ``baseline``. The trunk's
        leading local stages recompute only what each square can change
        (:class:`~authxai.attribution.occlusion.PatchOcclusion`); same outputs as masking the
        image and calling :meth:`forward`, up to float32 summation order."""
        with self._autocast(image.device):
            occlusion = PatchOcclusion(self.trunk, image, baseline)

        def patched(rows: torch.Tensor, cols: torch.Tensor, side: int) -> torch.Tensor:
            with self._autocast(image.device):
                out = occlusion.patched(rows, cols, side)
            return self._from_trunk_fp32(out)

        return patched

    def select(self, ks: list[int]) -> SharedTrunkVariants:
        """The variants ``ks`` (in that order), sharing this trunk and tail."""
        heads = [self.heads[k] for k in ks]
        masks = [self.masks[k] for k in ks]
        return SharedTrunkVariants(self.trunk, self.tail, heads, masks, self.precision, self.label).eval()

    def variant(self, k: int) -> VariantModel:
        """Variant ``k`` as a standalone scalar model (for the public per-model API)."""
        return VariantModel(self.trunk, self.tail, self.heads[k], self.masks[k])


def shared_stages(trunks: list[Trunk]) -> int:
    """How many leading stages (:meth:`Trunk.stages`) all ``trunks`` have in common: equal
    modules with equal parameters and buffers (the sanity checks' randomized copies keep every
    stage below the re-initialized ones)."""
    stages = [t.stages() for t in trunks]
    count = 0
    for layer in zip(*stages):
        states = [list(m.state_dict().items()) for m in layer]
        first = states[0]
        same = all(
            type(m) is type(layer[0])
            and len(state) == len(first)
            and all(k == k0 and torch.equal(v, v0) for (k, v), (k0, v0) in zip(state, first))
            for m, state in zip(layer[1:], states[1:])
        )
        if not same:
            break
        count += 1
    return count


class BranchedTrunkVariants(nn.Module):
    """The variants of several networks of one architecture that share their first ``cut``
    trunk stages (:func:`shared_stages`), as one model: ``forward(x) -> (B, V_1 + V_2 + …)``
    runs the shared stages once and each network's own stages, tail and heads on their output.

    Only the methods that read nothing but outputs (``Method.forward_only``: ``forward`` and
    :meth:`occluded`) run on it; every network's outputs are what its own
    :class:`SharedTrunkVariants` computes, by the same operations. The sanity checks explain an
    original network and its copies re-initialized from the top this way.
    """

    def __init__(self, networks: list[SharedTrunkVariants], cut: int) -> None:
        super().__init__()
        self.networks = nn.ModuleList(networks)
        self.cut = cut
        self.heads = [head for network in networks for head in network.heads]
        # each network's stages after the shared ones, and the shared ones: built once, not per batch
        self._own_stages = [network.trunk.stages()[cut:] for network in networks]
        self._shared_stages = networks[0].trunk.stages()[:cut]

    @property
    def first(self) -> SharedTrunkVariants:
        return self.networks[0]

    def _branches(self, shared: torch.Tensor) -> torch.Tensor:
        """(B, V) outputs of every network from the shared stages' output ``shared``."""
        cols = []
        for network, stages in zip(self.networks, self._own_stages):
            with network._autocast(shared.device):
                x = shared
                for stage in stages:
                    x = stage(x)
                out = network.trunk.finish(x)
            cols.append(network._from_trunk_fp32(out))
        return torch.cat(cols, dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with self.first._autocast(x.device):
            for stage in self._shared_stages:
                x = stage(x)
        return self._branches(x)

    def occluded(
        self, image: torch.Tensor, baseline: float = 0.0
    ) -> Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor]:
        """As :meth:`SharedTrunkVariants.occluded`, the shared stages' patches computed once."""
        with self.first._autocast(image.device):
            occlusion = PatchOcclusion(self.first.trunk, image, baseline)

        def patched(rows: torch.Tensor, cols: torch.Tensor, side: int) -> torch.Tensor:
            with self.first._autocast(image.device):
                shared = occlusion.stage_input(rows, cols, side, self.cut)
            return self._branches(shared)

        return patched


@torch.no_grad()
def cached_variant_outputs(
    act: torch.Tensor,
    aux: torch.Tensor | None,
    tail: Tail,
    head: RegressionHead,
    mask: torch.Tensor | None = None,
    batch_size: int = 256,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(predictions, penultimate embeddings) of one (pruned) variant from cached trunk
    activations — the backbone's expensive part is never rerun."""
    head = head.eval()
    preds, embs = [], []
    for lo in range(0, len(act), batch_size):
        a = act[lo : lo + batch_size].float()
        x = None if aux is None else aux[lo : lo + batch_size].float()
        pred, emb = head(tail(a, x, mask).float())
        preds.append(pred)
        embs.append(emb)
    return torch.cat(preds), torch.cat(embs)


def load_variants(
    arch: str,
    head_paths: list,
    pruning_paths: list,
    device: torch.device | str = "cpu",
    weights: str | None = None,
    precision: str = "fp32",
    fold: bool = True,
    label: str = "trunk",
) -> tuple[SharedTrunkVariants, list[dict]]:
    """The pruned variants of one architecture from their head and pruning files (same order),
    and the pruning records (seed, removed channels, mask); ``precision`` of the trunk as in
    :class:`SharedTrunkVariants`, recorded under ``label``. ``fold``: BatchNorms folded into their convolutions
    (:func:`~authxai.models.backbones.fold_batchnorm`; same outputs, faster), unless the
    caller needs the network's own modules (the sanity checks re-initialize them)."""
    backbone = on_device(build_backbone(arch, weights), device)
    trunk, tail = split_backbone(fold_batchnorm(backbone, arch) if fold else backbone, arch)
    heads = [load_head(p).to(device) for p in head_paths]
    records = [load_pruning(p) for p in pruning_paths]
    masks = [rec["mask"].to(device) for rec in records]
    variants = SharedTrunkVariants(trunk, tail, heads, masks, precision, label).eval()
    return variants, records
