"""The attribution table format: what one row holds and how its arrays are stored.

One row per explained variant (or ensemble) and image: identifying columns (``method``,
``regime``, ``arch``, ``seed`` — or ``kind`` for an ensemble — and ``image_id``), ``height`` and
``width``, and ``map``: the raw signed (H, W) map, row-major, float32. Method extras: MPM
``drops`` (one (H, W) map per patch size), ``patch_sizes``, ``stride``; LIME ``segments`` (the
superpixel of every pixel, int16), ``coefficients``, ``intercept``, ``r2``, the perturbation
seeds and the variants' outputs on them. Parquet stores the arrays as flat lists; the functions
here are the one place that turns arrays into lists and back.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def flat(array: Any, dtype: type = np.float32) -> list:
    """An array as the flat (row-major) list a table cell stores."""
    return np.asarray(array, dtype=dtype).ravel().tolist()


def flat_per_scale(stack: Any, dtype: type = np.float32) -> list[list]:
    """A (scales, H, W) stack as one flat list per scale (MPM ``drops``)."""
    stack = np.asarray(stack, dtype=dtype)
    return stack.reshape(len(stack), -1).tolist()


def shape(row: Any) -> tuple[int, int]:
    """(height, width) of a row's maps."""
    return int(row["height"]), int(row["width"])


def map_array(row: Any) -> np.ndarray:
    """(H, W) float32 map of one attribution row."""
    return np.asarray(row["map"], dtype=np.float32).reshape(shape(row))


def segments_array(row: Any) -> np.ndarray:
    """(H, W) LIME superpixel labels of one row."""
    return np.asarray(row["segments"]).reshape(shape(row))


def drops_array(row: Any, dtype: type = np.float32) -> np.ndarray:
    """(scales, H, W) MPM drops of one row (``float64`` where they are summed over variants)."""
    return np.asarray(np.asarray(row["drops"]).tolist(), dtype=dtype).reshape((-1, *shape(row)))
