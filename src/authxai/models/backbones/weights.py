"""Safe weight loading: state dicts only (nothing unpickled runs), checked against the model."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import torch
from torch import nn

from authxai.errors import exception_summary, fail
from authxai.models.backbones.registry import ArchSpec, get_spec
from authxai.models.backbones.split import FAMILIES


def _is_torch_file(path: Path) -> bool:
    """A torch.save zip archive or a legacy pickle (protocol byte 0x80)."""
    with open(path, "rb") as fh:
        return zipfile.is_zipfile(fh) or fh.read(1) == b"\x80"


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Load a state dict without unpickling code: safetensors, or torch.load(weights_only=True)."""
    path = Path(path)
    if not path.exists():
        raise fail(
            path,
            "weights file not found",
            "run `snakemake download_weights` where there is internet, put the file there by hand, or set "
            "models.weights.<arch> in the config",
        )
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
    """Where real weights are looked for when the config names no file (its weight source's
    :meth:`~authxai.models.backbones.sources.WeightSource.default_path`)."""
    return spec.weights.default_path(spec.name)


def load_weights(model: nn.Module, spec: ArchSpec, path: str | Path | None = None) -> nn.Module:
    """Load real weights into ``model`` (in place): the file ``path``, else the weight source's
    default file; a source without one (the random-init control) leaves ``model`` as it is."""
    path = Path(path) if path else default_weights_path(spec)
    if path is None:
        return model
    source = spec.weights
    state = FAMILIES[spec.family].rename_keys(read_state_dict(path))
    target = model.state_dict()
    state = source.adapt(spec.name, state, target, path)
    state = {k: v for k, v in state.items() if source.strict or k in target}
    bad = [k for k, v in state.items() if k in target and target[k].shape != v.shape]
    if bad:
        raise fail(path, f"weights do not fit {spec.name} (e.g. {bad[0]})", f"use {spec.name} weights")
    result = model.load_state_dict(state, strict=False)
    # BatchNorm fills in a missing num_batches_tracked itself (older checkpoints lack it); a
    # trunk-only checkpoint may lack the classifier, never a trunk layer
    missing = [k for k in result.missing_keys if not (k.endswith("num_batches_tracked") or k.startswith(source.lacks))]
    unexpected = result.unexpected_keys if source.strict else []
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
