"""The explorer: a static page to look at every explanation map of a run.

``results/explorer/index.html`` works offline from ``file://`` (no server, no CDN): its data are
JavaScript files loaded with ``<script>`` tags (browsers refuse ``fetch`` of local files) —
``data/index.js`` lists the explained images with the numbers the list sorts by, and
``data/<image>.js`` holds one image's photo as each architecture saw it, its planted-cue and
superpixel outlines, every map of it (each variant of each method, architecture and regime,
the prototypes and the ensembles) and its numbers; the page loads an image's file when the image
is chosen. Maps are stored compactly: pooled to at most ``max_map_size`` pixels a side, scaled
by their largest absolute value, quantized to int8 and deflated (the page inflates them with the
browser's ``DecompressionStream``), so that the paper configuration's tens of thousands of maps
stay a few MB per image.
"""

from __future__ import annotations

import base64
import io
import json
import math
import shutil
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from authxai.attribution.maps import map_array, segments_array
from authxai.progress import Progress
from authxai.tables import atomic_write, provenance, read_parquet

#: index.html, explorer.js and explorer.css: package data copied next to the data.
PAGE_DIR = Path(__file__).resolve().parent / "explorer_page"
#: Planted-cue outline colour (as on the figures' photo panels) and LIME superpixel borders.
CUE_RGBA = (255, 0, 255, 255)
BORDER_RGBA = (255, 220, 0, 200)
#: The variant names besides seeds: an architecture's prototype and the ensembles' maps.
PROTOTYPE = "prototype"
#: The per-image tables of numbers the page shows beside the maps.
NUMBERS = ("predictions", "within", "across", "localization")


def _pool_factor(shape: tuple[int, ...], max_size: int) -> int:
    """The integer factor that brings the longer side of ``shape`` to at most ``max_size``."""
    return math.ceil(max(shape) / max_size)


def pooled(values: np.ndarray, max_size: int) -> np.ndarray:
    """``values`` (H, W) box-averaged so that neither side exceeds ``max_size`` (unchanged when
    it already fits): the same integer factor on both sides keeps the aspect ratio."""
    factor = _pool_factor(values.shape, max_size)
    if factor <= 1:
        return np.asarray(values, dtype=np.float32)
    h, w = (math.ceil(n / factor) for n in values.shape)
    image = Image.fromarray(np.asarray(values, dtype=np.float32), mode="F")
    return np.asarray(image.resize((w, h), Image.Resampling.BOX), dtype=np.float32)


def quantize(values: np.ndarray, max_size: int) -> dict:
    """A map as the page stores it: ``h``, ``w``, ``scale`` (its largest absolute value) and
    ``q``, the base64 of the deflated int8 ``round(127 · value / scale)``, row-major."""
    small = pooled(values, max_size)
    scale = float(np.abs(small).max()) if np.isfinite(small).all() else 0.0
    codes = np.zeros(small.shape, np.int8) if scale == 0 else np.rint(small / scale * 127).astype(np.int8)
    payload = base64.b64encode(zlib.compress(codes.tobytes(), 9)).decode("ascii")
    return {"h": int(small.shape[0]), "w": int(small.shape[1]), "scale": scale, "q": payload}


def dequantize(entry: Mapping) -> np.ndarray:
    """The (h, w) float32 map of a :func:`quantize` entry (what the page draws)."""
    codes = np.frombuffer(zlib.decompress(base64.b64decode(entry["q"])), dtype=np.int8)
    return codes.reshape(entry["h"], entry["w"]).astype(np.float32) * (entry["scale"] / 127)


def png_data_url(pixels: np.ndarray) -> str:
    """A uint8 (H, W, 3 or 4) array as a PNG ``data:`` URL."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(pixels, dtype=np.uint8)).save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def outline(edges: np.ndarray, rgba: tuple[int, int, int, int]) -> str:
    """A transparent PNG ``data:`` URL with ``edges`` (boolean H, W) drawn in ``rgba``."""
    pixels = np.zeros((*edges.shape, 4), np.uint8)
    pixels[edges] = rgba
    return png_data_url(pixels)


def edges(labels: np.ndarray) -> np.ndarray:
    """The boundary pixels of a label image — a cue mask or LIME's superpixels (pixels with a
    4-neighbour of another label)."""
    from skimage.segmentation import find_boundaries  # scikit-image: only when a page is built

    return find_boundaries(labels, mode="inner")


def _finite(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _records(table: pd.DataFrame | None, columns: list[str]) -> list[dict]:
    """Rows of ``table`` as dicts of ``columns`` (floats rounded for the page; NaN -> null)."""
    if table is None or table.empty:
        return []
    rows = table[[c for c in columns if c in table.columns]].to_dict("records")
    return [{k: _json(v) for k, v in row.items()} for row in rows]


def _json(value):
    """A table cell as JSON: floats rounded for the page, NaN as null, numpy ints as ints."""
    if isinstance(value, float | np.floating):
        return round(float(value), 4) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def map_entries(rows: pd.DataFrame, max_size: int, borders: dict[str, str]) -> list[dict]:
    """Page entries of attribution rows (one per row): the map quantized, what it is (method,
    regime, arch, variant, seed) and, for LIME, the key of its superpixel borders in
    ``borders`` (filled here; a segmentation shared by several maps is stored once)."""
    entries = []
    for _, row in rows.iterrows():
        entry = {
            "method": row["method"],
            "regime": row["regime"],
            "arch": row["arch"],
            "variant": row["variant"],
            "seed": None if pd.isna(row.get("seed")) else int(row["seed"]),
            **quantize(map_array(row), max_size),
        }
        if "segments" in row.index and isinstance(row["segments"], list | np.ndarray):
            segments = segments_array(row)
            key = f"s{zlib.crc32(np.ascontiguousarray(segments, dtype=np.int32).tobytes()):08x}"
            if key not in borders:
                borders[key] = outline(edges(pooled_labels(segments, max_size)), BORDER_RGBA)
            entry["borders"] = key
        entries.append(entry)
    return entries


def pooled_labels(labels: np.ndarray, max_size: int) -> np.ndarray:
    """Labels subsampled (nearest) to the grid :func:`pooled` gives a map of the same shape."""
    factor = _pool_factor(labels.shape, max_size)
    return labels[::factor, ::factor] if factor > 1 else labels


def image_record(
    image: Mapping,
    role: str,
    views: Mapping[str, Mapping[str, str | None]],
    view_of: Mapping[str, str],
    maps: pd.DataFrame,
    numbers: Mapping[str, pd.DataFrame | None],
    max_size: int,
) -> dict:
    """Everything the page shows of one image.

    ``views``: view key -> ``{"photo": data URL, "cues": data URL or None}`` (one per distinct
    preprocessing geometry; ``view_of`` maps each architecture to its key, which is how the page
    finds a map's photo; the ensembles' maps use the first view). ``maps``: attribution
    rows of this image with a ``variant`` column (``seed <n>``, ``prototype``, ``bagging``,
    ``stacking``). ``numbers``: ``predictions``, ``within``, ``across`` and ``localization``
    tables of this image (None where the run has none).
    """
    borders: dict[str, str] = {}
    entries = map_entries(maps, max_size, borders)
    return {
        "id": image["image_id"],
        "mos": _finite(image.get("mos_authenticity")),
        "kept": bool(image.get("kept", True)),
        "role": role,
        "views": dict(views),
        "archs": dict(view_of),
        "borders": borders,
        "maps": entries,
        "predictions": _records(numbers.get("predictions"), ["regime", "arch", "seed", "y", "y_hat"]),
        "within": _records(numbers.get("within"), ["method", "arch", "subset", "n_variants", "pearson", "iou15"]),
        "across": _records(numbers.get("across"), ["method", "arch_a", "arch_b", "prototypes", "pearson", "iou15"]),
        "localization": _records(
            numbers.get("localization"), ["method", "regime", "arch", "seed", "kind", "auroc", "energy", "pointing"]
        ),
    }


def _mean(values: Iterable) -> float | None:
    values = [v for v in values if v is not None]
    return round(float(np.mean(values)), 4) if values else None


def index_entry(record: Mapping) -> dict:
    """What the image list shows and sorts by: MOS, mean within- and across-architecture r,
    mean cue AUROC of the variants' maps (planted-cue study), mean |prediction − target|."""
    errors = [abs(p["y_hat"] - p["y"]) for p in record["predictions"] if p.get("y") is not None]
    variants = [loc["auroc"] for loc in record["localization"] if loc.get("kind") == "variant"]
    return {
        "id": record["id"],
        "mos": record["mos"],
        "kept": record["kept"],
        "role": record["role"],
        "within": _mean(w["pearson"] for w in record["within"]),
        "across": _mean(a["pearson"] for a in record["across"]),
        "auroc": _mean(variants),
        "error": _mean(errors),
        "maps": len(record["maps"]),
    }


def _write_js(path: Path, function: str, payload: Mapping) -> int:
    text = f"authxaiExplorer.{function}({json.dumps(payload, separators=(',', ':'), allow_nan=False)});\n"
    with atomic_write(path) as tmp:
        Path(tmp).write_text(text)
    return len(text.encode())


def write_image(data_dir: str | Path, record: Mapping) -> int:
    """``data_dir/<image>.js`` (bytes written)."""
    return _write_js(Path(data_dir) / f"{record['id']}.js", "loaded", record)


def write_page(
    out_html: str | Path, data_dir: str | Path, entries: list[dict], study: Mapping, config: dict | None = None
) -> int:
    """``data_dir/index.js`` (the image list and what the run has: methods, archs, regimes,
    seeds; provenance) and the page beside it; returns the index's bytes."""
    out_html = Path(out_html)
    for asset in ("explorer.js", "explorer.css"):
        with atomic_write(out_html.parent / asset) as tmp:
            shutil.copyfile(PAGE_DIR / asset, tmp)
    size = _write_js(
        Path(data_dir) / "index.js", "index", {**study, "images": entries, "provenance": provenance(config)}
    )
    with atomic_write(out_html) as tmp:
        shutil.copyfile(PAGE_DIR / "index.html", tmp)
    return size


def variant_rows(table: pd.DataFrame, **columns) -> pd.DataFrame:
    """``table`` with the page's identity columns: ``variant`` from the seed (``seed <n>``)
    unless given, and any of ``regime``/``arch``/``method`` given as constants."""
    table = table.copy()
    for name, value in columns.items():
        table[name] = value
    if "variant" not in columns:
        table["variant"] = [f"seed {int(s)}" for s in table["seed"]]
    return table


class _Tables:
    """Reads parquet tables once while consecutive images need them (images are visited in
    the order of the attribution jobs that explained them, so a job's tables stay cached)."""

    def __init__(self, keep: int):
        self.keep = max(1, keep)
        self.cache: dict[str, pd.DataFrame] = {}

    def rows(self, path: str, image_id: str) -> pd.DataFrame:
        if path not in self.cache:
            if len(self.cache) >= self.keep:
                self.cache.pop(next(iter(self.cache)))
            self.cache[path] = read_parquet(path)
        table = self.cache[path]
        return table[table["image_id"] == image_id]


def _of_image(table: pd.DataFrame | None, image_id: str) -> pd.DataFrame | None:
    return None if table is None else table[table["image_id"] == image_id]


def build_explorer(
    out_html: str | Path,
    data_dir: str | Path,
    images: pd.DataFrame,
    roles: Mapping[str, str],
    maps_of: Mapping[str, list[str]],
    tables: Mapping[str, pd.DataFrame | None],
    view,
    max_size: int,
    config: dict | None = None,
) -> dict:
    """Write the explorer: one data file per image of ``roles`` (image id -> test, training or
    ensemble), then the image list and the page.

    ``images``: the image table indexed by id; ``maps_of``: image id -> the attribution tables
    holding its maps; ``tables``: ``prototypes``, ``ensembles`` (attribution-like rows),
    ``within``, ``across``, ``localization``, ``predictions`` (None where the run has none);
    ``view``: an :class:`authxai.figures.common.ModelView` (photos and cue masks as each
    architecture saw them). Returns the sizes written (bytes).
    """
    view_of = {arch: "{resize}/{crop}".format(**view.geometry(arch)) for arch in view.preprocess}
    reader = _Tables(keep=max((len(p) for p in maps_of.values()), default=1))
    order = sorted(roles, key=lambda i: (tuple(maps_of.get(i, [])), i))
    entries, sizes, methods = [], {}, set()
    progress = Progress("explorer images", len(order))
    for image_id in order:
        image = images.loc[image_id]
        row = {"image_id": image_id, **image.to_dict()}
        views = {}
        for arch, key in view_of.items():
            if key not in views:
                mask = view.cue_mask(image, arch)
                views[key] = {
                    "photo": png_data_url(view.photo(image, arch)),
                    "cues": None if mask is None else outline(edges(mask), CUE_RGBA),
                }
        parts = [variant_rows(reader.rows(path, image_id)) for path in maps_of.get(image_id, [])]
        if tables.get("prototypes") is not None:
            parts.append(
                variant_rows(_of_image(tables["prototypes"], image_id), regime="test", variant=PROTOTYPE, seed=None)
            )
        if tables.get("ensembles") is not None:
            ens = _of_image(tables["ensembles"], image_id)
            parts.append(variant_rows(ens, regime="val", arch="ensemble", seed=None, variant=ens["kind"].tolist()))
        maps = pd.concat([p for p in parts if p is not None and len(p)], ignore_index=True) if parts else pd.DataFrame()
        numbers = {name: _of_image(tables.get(name), image_id) for name in NUMBERS}
        methods.update(maps["method"] if len(maps) else [])
        record = image_record(row, roles[image_id], views, view_of, maps, numbers, max_size)
        sizes[image_id] = write_image(data_dir, record)
        entries.append(index_entry(record))
        progress.advance()
    progress.close()
    study = {"methods": sorted(methods), "archs": sorted(view.preprocess)}
    sizes["index"] = write_page(out_html, data_dir, entries, study, config)
    return sizes
