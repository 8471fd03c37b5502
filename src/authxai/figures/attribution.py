"""Attribution figures: the example grid per architecture and Appendix Figure A.2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.colors import TwoSlopeNorm

from authxai.attribution.pipeline import map_array
from authxai.figures.common import new_figure
from authxai.tables import read_parquet


def _photo(images_path: str, image_id: str, size: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    images = read_parquet(images_path).set_index("image_id")
    root = Path(images_path).parents[1] / "synthetic"
    path = Path(images.loc[image_id, "path"])
    candidates = [root / path, Path(path)]
    for p in candidates:
        if p.exists():
            return np.asarray(Image.open(p).convert("RGB").resize(size[::-1]))
    return np.zeros(size + (3,), np.uint8)


def _signed(ax, values: np.ndarray, title: str, fig) -> None:
    """Diverging map centred on 0 (red = raises the prediction / its removal lowers it)."""
    lim = float(np.abs(values).max()) or 1.0
    im = ax.imshow(values, cmap="RdBu_r", norm=TwoSlopeNorm(0, -lim, lim))
    ax.set_title(title, fontsize=8)
    ax.axis("off")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02)


def fig_examples(inputs: dict[str, str]):
    """Image, Grad-CAM, LIME (with superpixel borders), MPM per scale and their mean, seed 0."""
    from skimage.segmentation import mark_boundaries

    rows = {m: read_parquet(inputs[m]).sort_values("seed").iloc[0] for m in ("gradcam", "lime", "mpm") if m in inputs}
    first = next(iter(rows.values()))
    size = (int(first["height"]), int(first["width"]))
    photo = _photo(inputs["images"], first["image_id"], size)
    n_scales = len(rows["mpm"]["patch_sizes"]) if "mpm" in rows else 0
    fig, axes = new_figure(3 + n_scales + 1, width=2.4, height=2.4)
    axes = axes[0]
    axes[0].imshow(photo)
    axes[0].set_title(f"{first['arch']}\n{first['image_id']} (seed {first['seed']})", fontsize=8)
    axes[0].axis("off")
    k = 1
    if "gradcam" in rows:
        _signed(axes[k], map_array(rows["gradcam"]), "Grad-CAM", fig)
        k += 1
    if "lime" in rows:
        seg = np.asarray(rows["lime"]["segments"]).reshape(size)
        _signed(axes[k], map_array(rows["lime"]), f"LIME (R² {rows['lime']['r2']:.2f})", fig)
        axes[k].imshow(mark_boundaries(np.zeros(size + (3,)), seg, color=(0.2, 0.2, 0.2)), alpha=0.25)
        k += 1
    if "mpm" in rows:
        drops = np.asarray(rows["mpm"]["drops"].tolist(), dtype=np.float32).reshape((n_scales,) + size)
        for s, side in enumerate(rows["mpm"]["patch_sizes"]):
            _signed(axes[k], drops[s], f"MPM {side}px", fig)
            k += 1
        _signed(axes[k], drops.mean(axis=0), "MPM mean", fig)
        k += 1
    for ax in axes[k:]:
        ax.axis("off")
    return fig


def figA2_lime_tessellation(inputs: dict[str, str]):
    """Appendix A.2: the SLIC tessellation LIME explains with, and the resulting map."""
    from skimage.segmentation import mark_boundaries

    row = read_parquet(inputs["lime"]).sort_values("seed").iloc[0]
    size = (int(row["height"]), int(row["width"]))
    seg = np.asarray(row["segments"]).reshape(size)
    photo = _photo(inputs["images"], row["image_id"], size)
    fig, axes = new_figure(2, width=3.6, height=3.4)
    axes[0, 0].imshow(mark_boundaries(photo, seg, color=(1, 1, 0)))
    axes[0, 0].set_title(f"SLIC tessellation ({row['n_segments']} superpixels)", fontsize=9)
    axes[0, 0].axis("off")
    _signed(axes[0, 1], map_array(row), f"LIME {row['arch']} seed {row['seed']} (R² {row['r2']:.2f})", fig)
    return fig
