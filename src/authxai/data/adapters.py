"""Dataset adapters → the image table and the long ratings table (docs/datasets.md, docs/outputs.md).

Three kinds, one output contract:

* ``table``: any lab's ``images`` + ``ratings`` files (csv/tsv/parquet) with optional column
  renames; MOS are computed from the raw ratings.
* ``aigciqa2023``: the dataset authors' published table (MOS + SD + prompt metadata, shipped in
  ``data/aigciqa2023``), optionally the official ``mosz{1,2,3}.mat`` files, the downloaded images
  and, when present, a long table of per-participant raw ratings.
* ``synthetic``: the planted-cue study written by ``synthesize_study`` — a ``table`` dataset with
  ground-truth cue masks.

:func:`load_metadata` is cheap (no image is opened) so the workflow can call it at parse time;
:func:`verify_images` opens every image and is what ``prepare_data`` adds.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from authxai.data.kinds import get_kind, kind_of
from authxai.data.synthetic import NON_REALISTIC_COMBOS, StudySettings, plan_study
from authxai.errors import InputError, fail
from authxai.psychometrics import DIMENSIONS, mos_from_ratings, zscore_ratings
from authxai.tables import USER_COLUMNS, Column, TableSchema, column_name, first_bad, locate, read_delimited

log = logging.getLogger(__name__)

#: Image ids name result files (``results/attributions/<method>/<regime>/<arch>/<id>.parquet``)
#: and DAG wildcards: letters, digits, ``.``, ``_``, ``-``, starting with a letter or digit, at
#: most 100 characters — no ``/``, no leading ``.`` (so neither ``..`` nor a hidden file), no
#: characters a shell or regular expression reads; unique ignoring case (macOS file systems).
IMAGE_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}"
IMAGE_ID = Column(
    "image_id",
    "str",
    unique=True,
    fold_case=True,
    pattern=IMAGE_ID_PATTERN,
    pattern_help="image ids name result files: use letters, digits, '.', '_' and '-', starting "
    "with a letter or digit, at most 100 characters",
)
RAW_IMAGES = TableSchema(
    "images",
    (
        IMAGE_ID,
        Column("path", "str"),
        Column("generator", "str", nullable=True, required=False),
        Column("category", "str", nullable=True, required=False),
        Column("challenge", "str", nullable=True, required=False),
        Column("prompt", "str", nullable=True, required=False),
    ),
)
RATINGS = TableSchema(
    "ratings",
    (
        Column("participant", "str"),
        Column("image_id", "str"),
        Column("dimension", "str", allowed=DIMENSIONS),
        Column("rating", "float"),
    ),
)
#: The contract of results/data/metadata.parquet and images.parquet.
IMAGES = TableSchema(
    "images",
    (
        IMAGE_ID,
        Column("path", "str"),
        Column("generator", "str", nullable=True),
        Column("category", "str", nullable=True),
        Column("challenge", "str", nullable=True),
        Column("prompt", "str", nullable=True),
        Column("mos_quality", "float", nullable=True, lo=0, hi=100),
        Column("mos_authenticity", "float", lo=0, hi=100),
        Column("mos_correspondence", "float", nullable=True, lo=0, hi=100),
        Column("kept", "bool"),
    ),
)
#: The contract of results/data/ratings.parquet.
RATINGS_LONG = TableSchema(
    "ratings",
    (
        Column("participant", "str"),
        Column("image_id", "str"),
        Column("dimension", "str", allowed=DIMENSIONS),
        Column("raw", "float"),
        Column("z", "float"),
        Column("scaled", "float", lo=0, hi=100),
    ),
)
AIGCIQA_GENERATORS = ("ControlNet", "DALLE", "GLIDE", "Lafite", "StableDiffusion", "Unidiffuser")
OPTIONAL_META = ("generator", "category", "challenge", "prompt")


def resolve_inside(root: Path, relative: str, source: object, row: str) -> Path:
    """``root / relative`` resolved; an :class:`InputError` if it escapes ``root``.

    ``row`` says where the path is written (e.g. ``line 5``)."""
    root = Path(root).resolve()
    target = (root / str(relative)).resolve()
    if root != target and root not in target.parents:
        raise fail(
            source,
            f"path {relative!r} ({row}) resolves outside the data root {root}",
            "paths must be relative to dataset.root and stay inside it",
        )
    return target


def check_paths(images: pd.DataFrame, root: Path, source: object, columns: tuple[str, ...] = ("path",)) -> None:
    """Every relative path column must stay inside ``root`` (no ``..`` or absolute escapes)."""
    for col in columns:
        if col in images:
            for row, rel in images[col].dropna().items():
                resolve_inside(root, rel, source, locate(images.index, row))


#: Excluded (category, challenge) -> where the user wrote it (config key, or file and line).
Combos = dict[tuple[str, str], str]


def exclusion_combos(spec: dict | None, base: Path) -> Combos:
    """The category × challenge combinations to exclude, from ``combos`` and/or ``combos_file``,
    each with where it was written (for the message when it matches no image)."""
    spec = spec or {}
    combos = {
        (str(c), str(h)): f"config key 'dataset.exclusion.combos' entry {k}"
        for k, (c, h) in enumerate(spec.get("combos", []))
    }
    if spec.get("combos_file"):
        path = base / spec["combos_file"]
        schema = TableSchema("exclusion", (Column("Category", "str"), Column("Challenge", "str")))
        table = read_delimited(path, schema, allow_empty=True)
        for row, pair in zip(table.index, zip(table["Category"], table["Challenge"])):
            combos.setdefault(pair, f"{path} ({locate(table.index, row)})")
    return combos


def apply_exclusion(images: pd.DataFrame, combos: Combos | set[tuple[str, str]]) -> pd.Series:
    """``kept`` flag: False for images whose (category, challenge) is an excluded combination."""
    pairs = list(zip(images["category"].astype(str), images["challenge"].astype(str)))
    return pd.Series([p not in combos for p in pairs], index=images.index, dtype=bool)


def check_combos_match(images: pd.DataFrame, combos: Combos, source: object = "image table") -> None:
    """Every configured exclusion must exclude something: a combination that matches no image is
    a misspelling (or a list meant for another dataset), not a silent no-op."""
    if not combos:
        return
    for col in ("category", "challenge"):
        if col not in images:
            raise fail(
                source,
                f"no '{column_name(images, col)}' column, but dataset.exclusion excludes category × challenge "
                "combinations",
                "add the category and challenge columns or remove dataset.exclusion",
            )
    present = set(zip(images["category"].astype(str), images["challenge"].astype(str)))
    for combo, where in combos.items():
        if combo not in present:
            categories = sorted(images["category"].dropna().astype(str).unique())[:8]
            raise fail(
                where,
                f"exclusion (category {combo[0]!r}, challenge {combo[1]!r}) matches no image",
                f"fix its spelling or remove it (categories here: {categories})",
            )


def _rename(df: pd.DataFrame, mapping: dict[str, str] | None) -> pd.DataFrame:
    """Apply a config column mapping ``{contract_name: file_column}``; messages keep naming the
    user's columns (``USER_COLUMNS``)."""
    if not mapping:
        return df
    out = df.rename(columns={src: dst for dst, src in mapping.items()})
    out.attrs[USER_COLUMNS] = dict(mapping)
    return out


def check_rating_scale(scale: Any) -> tuple[float, float]:
    """``dataset.rating_scale`` as (lowest, highest); reversed or empty is a config error."""
    lo, hi = (float(v) for v in scale)
    if not lo < hi:
        raise InputError(
            f"config key 'dataset.rating_scale' = {list(scale)}: the lowest rating must come first and be "
            "below the highest — write [lowest, highest], e.g. [1, 5]"
        )
    return lo, hi


def ratings_from_raw(
    raw: pd.DataFrame, known_ids: pd.Series, scale: tuple[float, float], source: object
) -> pd.DataFrame:
    """Validate raw ratings (range, known ids, no duplicates) and add z and scaled columns."""
    lo, hi = check_rating_scale(scale)
    bad = (raw["rating"] < lo) | (raw["rating"] > hi)
    if bad.any():
        row = first_bad(bad)
        raise fail(
            source,
            f"column '{column_name(raw, 'rating')}' {locate(raw.index, row)} = {raw.loc[row, 'rating']} is "
            f"outside the rating scale [{lo:g}, {hi:g}]",
            "fix the value or set dataset.rating_scale",
        )
    unknown = ~raw["image_id"].isin(set(known_ids))
    if unknown.any():
        row = first_bad(unknown)
        raise fail(
            source,
            f"{locate(raw.index, row)} rates {column_name(raw, 'image_id')} {raw.loc[row, 'image_id']!r}, which is "
            "not in the image table",
            "add the image or drop its ratings",
        )
    dup = raw.duplicated(["participant", "image_id", "dimension"])
    if dup.any():
        row = first_bad(dup)
        raise fail(
            source,
            f"{locate(raw.index, row)} repeats participant {raw.loc[row, 'participant']!r} × image "
            f"{raw.loc[row, 'image_id']!r} × {raw.loc[row, 'dimension']}",
            "keep one rating per participant, image and dimension",
        )
    long = raw.rename(columns={"rating": "raw"})[["participant", "image_id", "dimension", "raw"]]
    return zscore_ratings(long.reset_index(drop=True))


def empty_ratings() -> pd.DataFrame:
    """A ratings table with the contract's columns and no rows (MOS-only datasets)."""
    return pd.DataFrame(
        {
            "participant": pd.Series(dtype=str),
            "image_id": pd.Series(dtype=str),
            "dimension": pd.Series(dtype=str),
            "raw": pd.Series(dtype=float),
            "z": pd.Series(dtype=float),
            "scaled": pd.Series(dtype=float),
        }
    )


def _finish(images: pd.DataFrame, combos: Combos | set[tuple[str, str]]) -> pd.DataFrame:
    for col in OPTIONAL_META:
        if col not in images:
            images[col] = pd.Series([None] * len(images), index=images.index, dtype=object)
    for dim in DIMENSIONS:
        if f"mos_{dim}" not in images:
            images[f"mos_{dim}"] = np.nan
    images["kept"] = apply_exclusion(images, combos)
    return IMAGES.check(images, "image table").reset_index(drop=True)


def load_table_dataset(spec: dict, base: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``kind: table`` (and ``synthetic``): images + raw ratings files under ``spec['root']``."""
    root = (base / spec["root"]).resolve()
    images_path, ratings_path = table_files(spec, root)
    images = _rename(read_delimited(images_path), spec.get("columns"))
    raw = _rename(read_delimited(ratings_path), spec.get("columns"))
    images = RAW_IMAGES.check(images, images_path)
    check_paths(images, root, images_path, ("path", "cue_mask_path"))
    combos = exclusion_combos(spec.get("exclusion"), base)
    if not kind_of(spec).rendered:  # a rendered study's list is its generator's own
        check_combos_match(images, combos, images_path)
    return table_dataset(images, raw, spec, combos, images_path, ratings_path)


def table_dataset(
    images: pd.DataFrame,
    raw: pd.DataFrame,
    spec: dict,
    combos: Combos | set[tuple[str, str]],
    images_path: object = "image table",
    ratings_path: object = "ratings table",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Image table (with MOS and ``kept``) and z-scored ratings from in-memory raw tables."""
    images = RAW_IMAGES.check(images, images_path)
    raw = RATINGS.check(raw, ratings_path)
    ratings = ratings_from_raw(raw, images["image_id"], tuple(spec.get("rating_scale", (1, 5))), ratings_path)
    mos = mos_from_ratings(ratings)
    rated = set(ratings.loc[ratings["dimension"] == "authenticity", "image_id"])
    missing = ~images["image_id"].isin(rated)
    if missing.any():
        row = first_bad(missing)
        raise fail(
            ratings_path,
            f"no authenticity rating of image {images.loc[row, 'image_id']!r} ({images_path}, "
            f"{locate(images.index, row)})",
            "every image needs authenticity ratings (quality and correspondence are optional): rate it or drop it "
            "from the image table",
        )
    merged = images.merge(mos, on="image_id", how="left")
    merged.index = images.index
    return _finish(merged, combos), ratings


def metadata_for_dag(dataset: dict, synthetic: dict, base: Path | str = ".") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The image table and long ratings, known before anything runs (the DAG lists per-image
    jobs, and what the whole DAG needs is checked on them before the first job).

    The embedded study is planned in memory (the same pure function ``synthesize_study``
    renders); other datasets read their metadata files, which exist before the run.
    """
    kind = kind_of(dataset)
    if not kind.rendered:
        return load_metadata(dataset, base)
    images, raw = plan_study(StudySettings(**synthetic))
    # the generator's own list (what synthesize_study writes to the kind's combos_file) + the user's
    exclusion = {k: v for k, v in dataset.get("exclusion", {}).items() if v != kind.combos_file}
    user = exclusion_combos(exclusion, Path(base))
    check_combos_match(images, user)
    return table_dataset(images, raw, dataset, set(NON_REALISTIC_COMBOS) | set(user))


def load_aigciqa2023(spec: dict, base: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``kind: aigciqa2023``: the authors' MOS table (+ optional .mat MOS and raw ratings)."""
    table_path = base / spec.get("table", "data/aigciqa2023/AIGCIQA2023.csv")
    cols = [Column("name", "str", unique=True), Column("prompt", "str"), Column("style", "str"), Column("class", "str")]
    cols += [Column(f"{d}_mos", "float", lo=0, hi=100) for d in DIMENSIONS]
    cols += [Column(f"{d}_std", "float", lo=0, nullable=True) for d in DIMENSIONS]
    raw = read_delimited(table_path, TableSchema("AIGCIQA2023", tuple(cols)))
    number = raw["name"].str.replace(r"\.\w+$", "", regex=True)
    if not number.str.fullmatch(r"\d+").all():
        row = (~number.str.fullmatch(r"\d+")).idxmax()
        raise fail(
            table_path,
            f"column 'name' {locate(raw.index, row)} = {raw.loc[row, 'name']!r} is not <n>.png",
            "use the authors' table",
        )
    n = number.astype(int)
    image_dir = spec.get("image_dir", "Image/allimg")
    images = pd.DataFrame(
        {
            "image_id": number,
            "path": [f"{image_dir}/{name}" for name in raw["name"]],
            "generator": [AIGCIQA_GENERATORS[i // 400] if i // 400 < 6 else None for i in n],
            "category": raw["class"],
            "challenge": raw["style"],
            "prompt": raw["prompt"],
            "prompt_index": (n % 400) // 4,
        }
    )
    for dim in DIMENSIONS:
        images[f"mos_{dim}"] = raw[f"{dim}_mos"].to_numpy()
        images[f"sd_{dim}"] = raw[f"{dim}_std"].to_numpy()
    if spec.get("mos_dir"):
        _override_mos_from_mat(images, base / spec["root"] / spec["mos_dir"])
    root = (base / spec["root"]).resolve()
    check_paths(images, root, table_path)
    ratings = empty_ratings()
    if spec.get("ratings"):
        ratings_path = root / spec["ratings"]
        raw_r = RATINGS.check(_rename(read_delimited(ratings_path), spec.get("columns")), ratings_path)
        ratings = ratings_from_raw(raw_r, images["image_id"], tuple(spec.get("rating_scale", (1, 5))), ratings_path)
    else:
        log.info("no raw ratings configured (dataset.ratings): psychometrics that need them are skipped")
    combos = exclusion_combos(spec.get("exclusion"), base)
    check_combos_match(images, combos, table_path)
    return _finish(images, combos), ratings


def _override_mos_from_mat(images: pd.DataFrame, mos_dir: Path) -> None:
    """Replace MOS with the official ``mosz{1,2,3}.mat`` vectors (quality, authenticity, correspondence)."""
    from scipy.io import loadmat

    for dim, mat in zip(DIMENSIONS, mos_files(mos_dir)):
        path = regular_file(mat, "MOS file", "point dataset.mos_dir at the release's MOS folder")
        try:
            mat = loadmat(path)
        except (OSError, ValueError) as exc:
            raise fail(
                path, f"cannot read MOS file ({exc})", "point dataset.mos_dir at the release's MOS folder"
            ) from exc
        arrays = [v for key, v in mat.items() if not key.startswith("__") and np.size(v) == len(images)]
        if not arrays:
            raise fail(path, f"no vector of {len(images)} MOS values inside", "use the official mosz files")
        images[f"mos_{dim}"] = np.asarray(arrays[0], float).ravel()


def table_files(spec: dict, root: Path) -> tuple[Path, Path]:
    """The image table and raw ratings a ``table``/``synthetic`` dataset reads under ``root``."""
    return root / (spec.get("images") or "images.csv"), root / (spec.get("ratings") or "ratings.csv")


def mos_files(mos_dir: Path) -> list[Path]:
    """The official ``mosz{1,2,3}.mat`` files, in :data:`DIMENSIONS` order."""
    return [Path(mos_dir) / f"mosz{k}.mat" for k in range(1, len(DIMENSIONS) + 1)]


def table_dataset_files(spec: dict, base: Path) -> list[Path]:
    """The files :func:`load_table_dataset` reads (its images and ratings tables)."""
    return list(table_files(spec, base / spec["root"]))


def aigciqa2023_files(spec: dict, base: Path) -> list[Path]:
    """The files :func:`load_aigciqa2023` reads (the MOS table, raw ratings and .mat MOS if set)."""
    root = base / spec["root"]
    files = [base / spec["table"]]
    files += [root / spec["ratings"]] if spec.get("ratings") else []
    return files + (mos_files(root / spec["mos_dir"]) if spec.get("mos_dir") else [])


def dataset_files(spec: dict, base: Path | str = ".") -> list[Path]:
    """Every file the ``dataset`` block's adapter reads (not the images): the workflow declares
    them as inputs of the data stage, so an edit to any of them reruns it."""
    base = Path(base)
    files = kind_of(spec).files(spec, base)
    if spec.get("exclusion", {}).get("combos_file"):
        files.append(base / spec["exclusion"]["combos_file"])
    return files


def load_metadata(spec: dict, base: Path | str = ".") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Image table (metadata, MOS, ``kept``) and long ratings for a ``dataset`` config block.

    Cheap: opens no image. Raises :class:`InputError` with one line on any malformed input.
    """
    return get_kind(spec.get("kind")).load(spec, Path(base))


#: Pillow's 16-bit grey modes (a 16-bit grey PNG opens as one of them); "I" is 32-bit integer
#: grey, which PNG and TIFF readers also use for 16-bit data.
SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")


def to_rgb8(image: Any) -> Any:
    """An 8-bit RGB copy of a Pillow image of any integer mode.

    ``convert("RGB")`` clips 16-bit grey values at 255 (a 16-bit PNG became a white image);
    here they are scaled by 255/65535 instead. (16-bit RGB PNGs already open as 8-bit "RGB".)
    Floating-point images have no agreed range and are refused.
    """
    from PIL import Image

    if image.mode in SIXTEEN_BIT_MODES:
        grey = np.asarray(image, dtype=np.float64) * (255.0 / 65535.0)
        return Image.fromarray(np.clip(np.rint(grey), 0, 255).astype(np.uint8)).convert("RGB")
    if image.mode == "F":
        raise InputError("floating-point image")
    return image.convert("RGB")


def open_rgb(path: str | Path) -> Any:
    """Open an image file as 8-bit RGB (see :func:`to_rgb8`), with one-line errors naming it: not
    found, not a regular file (a FIFO would block the job forever), more pixels than Pillow's
    decompression-bomb limit, corrupt, or floating-point."""
    from PIL import Image

    path = regular_file(path, "image", "put it there or fix dataset.root and the image table's paths")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it, and decodes: refuse there too
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                im.load()
                return to_rgb8(im)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise fail(
            path,
            f"more pixels than Pillow's decompression-bomb limit of {Image.MAX_IMAGE_PIXELS:,}",
            "downscale the image (the models see at most models.resize px) or replace the file",
        ) from exc
    except InputError as exc:
        raise fail(path, str(exc), "save it as an 8- or 16-bit PNG/JPEG") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise fail(path, f"corrupt or unreadable image ({type(exc).__name__})", "replace the file") from exc


def regular_file(path: str | Path, what: str, fix: str) -> Path:
    """``path``, checked to be an existing regular file: reading a FIFO or device in its place
    would block a job forever, a directory gives a traceback."""
    path = Path(path)
    if not path.exists():
        raise fail(path, f"{what} not found", fix)
    if not path.is_file():
        raise fail(path, f"{what} is not a regular file (a directory, FIFO or device)", f"put the {what} itself there")
    return path


def verify_images(
    images: pd.DataFrame, root: Path, columns: tuple[str, ...] = ("path", "cue_mask_path")
) -> pd.DataFrame:
    """Open every image (and cue mask); add ``height``/``width``. One-line error naming the file."""
    root = Path(root).resolve()
    sizes = []
    for _, rec in images.iterrows():
        for col in columns:
            if col not in images or pd.isna(rec[col]):
                continue
            path = resolve_inside(root, rec[col], "image table", f"image {rec['image_id']!r}")
            size = open_rgb(path).size
            if col == "path":
                sizes.append(size)
    return images.assign(width=[w for w, _ in sizes], height=[h for _, h in sizes])
