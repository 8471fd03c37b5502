"""The models' image geometry on PIL images: shorter side resized, then a centred square crop.

Pure PIL, with the arithmetic of torchvision's ``resize`` and ``center_crop`` on PIL images
(which call PIL themselves; ``tests/test_geometry.py`` checks the pixels are equal), so that
the figure and explorer jobs, which show photos and cue masks as the models see them, need not
import torch.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from authxai.data.adapters import open_rgb


def resize_and_crop(image: Image.Image, resize: int, crop: int, nearest: bool = False) -> Image.Image:
    """The models' geometry: shorter side resized to ``resize``, then a centred ``crop`` square.

    Bilinear (antialiased) for photos; ``nearest`` for label images such as cue masks, whose
    values must stay the ones painted.
    """
    width, height = image.size
    short, long = min(width, height), max(width, height)
    new_long = int(resize * long / short)  # truncated, as torchvision
    size = (resize, new_long) if width <= height else (new_long, resize)
    if size != image.size:
        image = image.resize(size, Image.Resampling.NEAREST if nearest else Image.Resampling.BILINEAR)
    return centre_crop(image, crop)


def centre_crop(image: Image.Image, side: int) -> Image.Image:
    """The centred ``side`` square (torchvision's rounding); a smaller image is zero-padded."""
    width, height = image.size
    if side > width or side > height:
        padded = Image.new(image.mode, (max(side, width), max(side, height)))
        padded.paste(image, ((side - width) // 2 if side > width else 0, (side - height) // 2 if side > height else 0))
        image, (width, height) = padded, padded.size
    top, left = int(round((height - side) / 2.0)), int(round((width - side) / 2.0))
    return image.crop((left, top, left + side, top + side))


def model_view(path: str | Path, resize: int = 256, crop: int = 224) -> Image.Image:
    """The RGB image exactly as the model sees it, before normalization: (crop, crop) pixels.

    A missing or unreadable file stops with one line naming it; 16-bit images are scaled to
    8 bits (:func:`authxai.data.adapters.open_rgb`).
    """
    return resize_and_crop(open_rgb(path), resize, crop)
