"""Table contracts: schema checks on read and provenance-stamped atomic writes.

Every parquet the pipeline writes carries, in its file metadata under the key ``authxai``,
the config and package versions that made it; every table it reads is checked against a
:class:`TableSchema` so that a malformed input fails with one line naming the file, the
column and the row.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from authxai import precision
from authxai.errors import InputError, fail

PROVENANCE_KEY = b"authxai"
#: Index name of tables read from csv/tsv files: its labels are the file's line numbers (the
#: header is line 1), so a message says "line 19" where the user's editor shows the value.
LINE = "line"
#: ``DataFrame.attrs`` key: contract column name -> the user's column name (``dataset.columns``),
#: so messages name the column as it is written in the user's file.
USER_COLUMNS = "authxai_user_columns"
VERSIONED_PACKAGES = (
    "authxai",
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "scikit-learn",
    "scikit-image",
    "torch",
    "torchvision",
    "timm",
    "snakemake",
)


@dataclass(frozen=True)
class Column:
    """One column of a table contract.

    kind is one of ``str``, ``float``, ``int``, ``bool``; ``lo``/``hi`` bound numeric values;
    ``nullable`` allows missing values; ``unique`` forbids duplicates; ``allowed`` restricts
    string values; ``pattern`` is a regular expression every string must match in full
    (``pattern_help`` says in words what it allows); ``fold_case`` makes ``unique`` ignore case.
    """

    name: str
    kind: str
    nullable: bool = False
    unique: bool = False
    lo: float | None = None
    hi: float | None = None
    allowed: tuple[str, ...] | None = None
    required: bool = True
    pattern: str | None = None
    pattern_help: str = ""
    fold_case: bool = False


@dataclass(frozen=True)
class TableSchema:
    """A named list of columns; :meth:`check` validates a DataFrame against it."""

    name: str
    columns: tuple[Column, ...]
    extra_ok: bool = True

    def check(self, df: pd.DataFrame, source: object) -> pd.DataFrame:
        """Return ``df`` with columns coerced to their kinds, or raise :class:`InputError`."""
        out = df.copy()
        for col in self.columns:
            if col.name not in out.columns:
                if col.required:
                    raise fail(
                        source,
                        f"missing column '{column_name(out, col.name)}' ({self.name} table)",
                        f"add it; found columns {sorted(user_columns(out))}",
                    )
                continue
            out[col.name] = _check_column(out[col.name], col, source, column_name(out, col.name))
        return out


def column_name(df: pd.DataFrame, name: str) -> str:
    """The user's name of contract column ``name`` (``dataset.columns`` renames it on read)."""
    return df.attrs.get(USER_COLUMNS, {}).get(name, name)


def user_columns(df: pd.DataFrame) -> list[str]:
    """The columns of ``df`` under the names the user's file gives them."""
    return [column_name(df, str(c)) for c in df.columns]


def locate(index: pd.Index, label: Any) -> str:
    """Where a row is, in the user's terms: ``line 19`` of a csv file, else ``row 17``."""
    return f"line {label}" if index.name == LINE else f"row {label}"


def first_bad(mask: pd.Series) -> Any:
    """Index label of the first True of ``mask``."""
    return mask[mask].index[0]


def _check_column(values: pd.Series, col: Column, source: object, shown: str | None = None) -> pd.Series:
    shown = shown or col.name

    def at(row: Any) -> str:
        return f"column '{shown}' {locate(values.index, row)}"

    missing = values.isna()
    if missing.any() and not col.nullable:
        row = first_bad(missing)
        raise fail(source, f"{at(row)} is empty/NaN", "fill it or drop the row")
    present = values[~missing]
    if col.kind in ("float", "int"):
        numeric = pd.to_numeric(present, errors="coerce")
        bad = numeric.isna()
        if bad.any():
            row = first_bad(bad)
            raise fail(
                source,
                f"{at(row)} is not a number ({present[row]!r})",
                "write a numeric value",
            )
        if col.kind == "int" and not np.all(np.mod(numeric, 1) == 0):
            row = first_bad(np.mod(numeric, 1) != 0)
            raise fail(source, f"{at(row)} is not an integer", "write an integer")
        for bound, op, word in ((col.lo, np.less, "below"), (col.hi, np.greater, "above")):
            if bound is not None and op(numeric, bound).any():
                row = first_bad(op(numeric, bound))
                raise fail(
                    source,
                    f"{at(row)} = {numeric[row]} is {word} {bound}",
                    f"valid range is [{col.lo}, {col.hi}]",
                )
        result = pd.to_numeric(values, errors="coerce")
        return result.astype("Int64" if col.nullable else "int64") if col.kind == "int" else result.astype(float)
    if col.kind == "bool":
        return values.astype(bool)
    strings = values.where(missing, values.astype(str))
    if col.allowed is not None:
        bad = ~present.astype(str).isin(col.allowed)
        if bad.any():
            row = first_bad(bad)
            raise fail(
                source,
                f"{at(row)} = {present[row]!r} is not allowed",
                f"use one of {list(col.allowed)}",
            )
    if col.pattern is not None:
        bad = ~present.astype(str).str.fullmatch(col.pattern)
        if bad.any():
            row = first_bad(bad)
            raise fail(source, f"{at(row)} = {present[row]!r} is not allowed here", col.pattern_help)
    if col.unique:
        keys = present.astype(str)
        dup = (keys.str.casefold() if col.fold_case else keys).duplicated()
        if dup.any():
            row = first_bad(dup)
            raise fail(
                source,
                f"column '{shown}' has duplicate value {present[row]!r} ({locate(values.index, row)})",
                "ids must be unique"
                + (" ignoring case (they name files on case-insensitive file systems)" if col.fold_case else "")
                + "; remove or rename the duplicate",
            )
    return strings


def package_versions(names: Iterable[str] = VERSIONED_PACKAGES) -> dict[str, str]:
    """Installed versions of ``names`` (absent packages are skipped)."""
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def provenance(config: dict | None) -> dict[str, Any]:
    """The record stored with every output: config, versions, time, host, and how the numbers
    were computed — ``cpu_capability`` (ATen's CPU kernels, e.g. "AVX2", "AVX512"),
    ``cpu_native_bf16`` and ``precision`` (what each trunk ran at, e.g. ``{"lime": "fp32"}``;
    :func:`authxai.precision.used`); "not used" in a job that never loaded torch."""
    return {
        "config": config or {},
        "versions": package_versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpu_capability": precision.cpu_capability(),
        "cpu_native_bf16": precision.native_cpu_bf16(),
        "precision": precision.used(),
    }


@contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary sibling of ``path`` to write to; on success it is renamed to ``path``,
    on any error removed — a finished-looking output is always a complete one.

    The temporary file gets the permissions any new file gets under the umask (mkstemp's 0600
    would hide outputs from a lab group sharing results/).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        os.chmod(tmp, 0o666 & ~current_umask())
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def current_umask() -> int:
    """The process umask: from /proc on Linux (reading it with os.umask means setting it, which
    races with other threads creating files), else set and restored."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_parquet(df: pd.DataFrame, path: str | os.PathLike, config: dict | None = None) -> Path:
    """Write ``df`` atomically (temp file + rename) with the provenance record attached.

    A crash mid-write leaves only a ``.part`` file, never a finished-looking output.
    """
    table = pa.Table.from_pandas(df.reset_index(drop=True), preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[PROVENANCE_KEY] = json.dumps(provenance(config), default=str).encode()
    with atomic_write(path) as tmp:
        pq.write_table(table.replace_schema_metadata(meta), tmp)
    return Path(path)


def read_provenance(path: str | os.PathLike) -> dict[str, Any]:
    """The provenance record of a parquet written by :func:`write_parquet`."""
    meta = pq.read_schema(path).metadata or {}
    return json.loads(meta.get(PROVENANCE_KEY, b"{}"))


def read_parquet(
    path: str | os.PathLike, schema: TableSchema | None = None, columns: list[str] | None = None
) -> pd.DataFrame:
    """Read a parquet table (only ``columns``, if given) and check it against ``schema``;
    one-line error if unreadable."""
    try:
        df = pd.read_parquet(path, columns=columns)
    except FileNotFoundError as exc:
        raise fail(path, "file not found", "run the rule that makes it or fix the path") from exc
    except (OSError, pa.ArrowException) as exc:
        raise fail(path, f"not a readable parquet file ({exc})", "delete it and rerun") from exc
    return schema.check(df, path) if schema else df


def read_delimited(
    path: str | os.PathLike, schema: TableSchema | None = None, allow_empty: bool = False
) -> pd.DataFrame:
    """Read a user's csv/tsv/parquet table by extension, with one-line errors.

    Rows are labelled as the user finds them: a csv/tsv table by the file line its record starts
    on (index name :data:`LINE`; blank lines and quoted multi-line fields counted), a parquet
    table by its 1-based row number. A table with columns and no rows is an error unless
    ``allow_empty`` (e.g. an exclusion list that excludes nothing).
    """
    path = Path(path)
    if not path.exists():
        raise fail(path, "file not found", "check the path in the config")
    if not path.is_file():
        raise fail(path, "not a regular file", "point the config at the table file itself")
    if path.suffix == ".parquet":
        df = read_parquet(path)
        df.index = pd.RangeIndex(1, len(df) + 1, name="row")
    else:
        sep = "\t" if path.suffix in (".tsv", ".tab") else ","
        try:
            df = pd.read_csv(path, sep=sep)
            lines = record_lines(path, sep)
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
            raise fail(path, f"not a readable table ({type(exc).__name__})", "save it as UTF-8 csv") from exc
        if len(lines) == len(df):
            df.index = pd.Index(lines, name=LINE)
        else:  # a dialect the csv module reads differently: say "row k" (1-based) instead
            df.index = pd.RangeIndex(1, len(df) + 1, name="row")
    if df.empty and not allow_empty:
        raise fail(path, "has columns but no data rows", "fill it in or point the config at the right file")
    return schema.check(df, path) if schema else df


def record_lines(path: Path, sep: str) -> list[int]:
    """The file line each data record of a delimited file starts on (the header's excluded;
    blank lines are skipped, as pandas skips them)."""
    starts, end = [], 0
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter=sep)
        for record in reader:
            if record:
                starts.append(end + 1)
            end = reader.line_num
    return starts[1:]


def write_markdown_and_csv(
    df: pd.DataFrame, stem: str | os.PathLike, floatfmt: str = ".3f", note: str | None = None
) -> None:
    """Write ``<stem>.csv`` and ``<stem>.md`` (a pipe table, ``note`` as a line under it)
    atomically.

    Numeric ``<col>_mean``/``_low``/``_high`` next to a formatted ``<col>`` (e.g. "0.58 [0.51,
    0.64]") stay in the csv for machines and are left out of the markdown for readers.
    """
    numeric = [
        c
        for c in df.columns
        for suffix in ("_mean", "_low", "_high")
        if c.endswith(suffix)
        and c.removesuffix(suffix) in df.columns
        and not pd.api.types.is_numeric_dtype(df[c.removesuffix(suffix)])
    ]
    readable = df.drop(columns=numeric)
    for col in readable.columns:
        if not pd.api.types.is_float_dtype(readable[col]):
            continue
        # p-values span many decades: 2 significant digits, not a fixed number of decimals
        fmt = ".2g" if col == "p" or col.startswith("p_") else floatfmt
        readable[col] = readable[col].map(lambda v, fmt=fmt: format(v, fmt) if pd.notna(v) else "")
    write_text(f"{stem}.csv", df.to_csv(index=False))
    below = f"\n{note}\n" if note else ""
    write_text(f"{stem}.md", readable.to_markdown(index=False, disable_numparse=True) + "\n" + below)


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write a text file atomically (never a half-written file under the final name)."""
    with atomic_write(path) as tmp:
        tmp.write_text(text)


def read_parquets(paths: Iterable[str | os.PathLike], columns: list[str] | None = None) -> pd.DataFrame | None:
    """The tables of ``paths`` stacked (None when there are none); only ``columns`` if given
    (attribution tables hold full maps: reading 2,598 of them whole takes gigabytes)."""
    tables = [read_parquet(p, columns=columns) for p in paths]
    return pd.concat(tables, ignore_index=True) if tables else None


__all__ = [
    "Column",
    "TableSchema",
    "InputError",
    "write_parquet",
    "read_parquet",
    "read_delimited",
    "read_provenance",
    "provenance",
    "package_versions",
    "write_markdown_and_csv",
    "atomic_write",
]
