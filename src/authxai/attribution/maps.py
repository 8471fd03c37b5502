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

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from authxai.tables import read_parquets


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


def read_attributions(
    paths: Iterable[str], images: Iterable[str] | None = None, columns: list[str] | None = None
) -> pd.DataFrame:
    """The attribution tables of ``paths`` stacked, keeping the rows of ``images`` (all when
    None); only ``columns`` (plus ``image_id``) if given.

    A table holds every image of the job that wrote it (``attribution.images_per_job``), so a
    reader that wants some images keeps theirs; one it asked for and did not find means the
    tables are not the ones the workflow lists for it (ValueError naming the image).
    """
    if columns is not None and "image_id" not in columns:
        columns = [*columns, "image_id"]
    table = read_parquets(list(paths), columns=columns)
    if table is None:
        table = pd.DataFrame(columns=columns or ["image_id"])
    if images is None:
        return table
    images = list(images)
    missing = sorted(set(images) - set(table["image_id"]))
    if missing:
        raise ValueError(f"attribution tables {list(paths)[:3]}... hold no rows of image {missing[0]!r}")
    return table[table["image_id"].isin(images)].reset_index(drop=True)
