"""Shared figure helpers: consistent style, photo panels showing the image as the model saw it
(:class:`ModelView`, :func:`photo_panel`), and atomic PDF + PNG output."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from PIL import Image  # noqa: E402

from authxai import localization  # noqa: E402
from authxai.data.geometry import model_view, resize_and_crop  # noqa: E402
from authxai.tables import atomic_write, provenance, read_parquet  # noqa: E402

DIMENSION_COLOURS = {"quality": "#4C72B0", "authenticity": "#DD8452", "correspondence": "#55A868"}
#: Outline colour of the planted cues on photo panels (magenta: rare in photos, apart from
#: the yellow superpixel borders of Figure A.2).
CUE_OUTLINE_COLOUR = "#ff00ff"


def new_figure(ncols: int, width: float = 4.2, height: float = 3.6, nrows: int = 1):
    """A figure with ``nrows × ncols`` axes, constrained layout, readable fonts."""
    plt.rcParams.update({"font.size": 9, "axes.titlesize": 10, "axes.spines.top": False, "axes.spines.right": False})
    return plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), layout="constrained", squeeze=False)


def panel_label(ax, letter: str) -> None:
    """Bold panel letter in the top-left corner, as in the paper's figures."""
    ax.text(-0.12, 1.04, letter, transform=ax.transAxes, fontweight="bold", fontsize=12, va="bottom")


def save_figure(fig, outputs: list[str | os.PathLike], config: dict | None = None) -> None:
    """Save ``fig`` to every path in ``outputs`` (format from the suffix), atomically.

    The provenance record goes into the PDF's Subject and the PNG's text chunk.
    """
    record = json.dumps(provenance(config), default=str)
    for out in outputs:
        fmt = Path(out).suffix.lstrip(".")
        meta = {"Subject": record} if fmt == "pdf" else {"authxai": record}
        with atomic_write(out) as tmp:
            fig.savefig(tmp, format=fmt, dpi=150, metadata=meta)
    plt.close(fig)


@dataclass(frozen=True)
class ModelView:
    """How the models saw the images: where they are and how each architecture preprocessed them.

    ``root`` is the dataset's own root (config ``dataset.root``; ``results/synthetic`` for the
    embedded study), against which the image table's ``path`` and ``cue_mask_path`` resolve;
    ``preprocess`` maps each architecture to its ``{"resize": …, "crop": …}`` (``models.resize``
    and ``models.crop`` with ``models.overrides.<arch>``), the geometry of
    :func:`authxai.models.features.load_image`.
    """

    root: Path
    preprocess: Mapping[str, Mapping[str, int]]

    @classmethod
    def from_params(cls, params: Mapping) -> ModelView:
        """From the figure rule's ``view`` param: ``{"root": …, "preprocess": {arch: {…}}}``."""
        return cls(Path(params["root"]), {arch: dict(p) for arch, p in params["preprocess"].items()})

    def geometry(self, arch: str) -> dict[str, int]:
        """``resize`` and ``crop`` of ``arch``."""
        if arch not in self.preprocess:
            raise KeyError(f"no preprocessing for architecture {arch!r}; the view has {sorted(self.preprocess)}")
        return {"resize": int(self.preprocess[arch]["resize"]), "crop": int(self.preprocess[arch]["crop"])}

    def photo(self, image: pd.Series, arch: str) -> np.ndarray:
        """uint8 (crop, crop, 3): image-table row ``image`` exactly as ``arch`` saw it (no
        normalization); one-line error naming the file if it is missing or unreadable."""
        return np.asarray(model_view(self.root / image["path"], **self.geometry(arch)))

    def cue_mask(self, image: pd.Series, arch: str) -> np.ndarray | None:
        """Boolean (crop, crop) planted-cue mask of ``image`` through ``arch``'s geometry
        (nearest-neighbour resize, same crop); None where the dataset has no mask."""
        relative = image.get("cue_mask_path")
        if relative is None or pd.isna(relative):
            return None
        label = Image.fromarray(localization.cue_mask(self.root / relative).astype(np.uint8))
        return np.asarray(resize_and_crop(label, nearest=True, **self.geometry(arch))) > 0


def outline_cues(ax, mask: np.ndarray | None, grid: tuple[int, ...] | None = None) -> None:
    """The planted cues' outlines over a panel in the same pixel grid (nothing without a mask,
    or when the panel's ``grid`` shape is given and the mask's is another)."""
    from skimage.measure import find_contours

    if mask is None or (grid is not None and mask.shape != tuple(grid)):
        return
    for contour in find_contours(mask.astype(np.float32), 0.5):
        ax.plot(contour[:, 1], contour[:, 0], color=CUE_OUTLINE_COLOUR, linewidth=0.8)


def photo_panel(ax, view: ModelView, image: pd.Series, arch: str, title: str) -> None:
    """The image as ``arch`` saw it, with the planted cues outlined where the dataset has masks."""
    ax.imshow(view.photo(image, arch))
    outline_cues(ax, view.cue_mask(image, arch))
    ax.set_title(title, fontsize=8)
    ax.axis("off")


def first_variant(path: str | os.PathLike, image_id: str | None = None) -> pd.Series:
    """The lowest-seed row of an attribution table on ``image_id`` (default: the table's first
    image — a table holds every image of the job that wrote it)."""
    table = read_parquet(path)
    image_id = table["image_id"].iloc[0] if image_id is None else image_id
    return table[table["image_id"] == image_id].sort_values("seed", kind="stable").iloc[0]


def image_table(path: str | os.PathLike) -> pd.DataFrame:
    """The image table (``results/data/images.parquet``) indexed by image id."""
    return read_parquet(path).set_index("image_id")
