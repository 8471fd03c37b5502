"""`authxai init`: a commented, validated config for a ``kind: table`` dataset.

:func:`table_block` turns the two CSV files into the config's ``dataset`` block (paths relative
to the working directory the pipeline runs in), :func:`authxai.cli.presets.preset_config` adds
a preset's settings, :func:`commented_yaml` writes every key with its description from the
config schema as a comment, and :func:`write_config` builds the plan of the config before
writing it — so a written file is known to parse and its data to carry the study.
"""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path
from typing import Any

import yaml

from authxai.cli.presets import PRESETS, preset_config
from authxai.errors import InputError


def _relative(path: Path, start: Path) -> str:
    """``path`` relative to ``start`` when it lies inside it, else absolute (POSIX separators)."""
    path, start = path.resolve(), start.resolve()
    return path.relative_to(start).as_posix() if path.is_relative_to(start) else path.as_posix()


def _existing_file(path: Path, option: str) -> Path:
    if not path.is_file():
        raise InputError(f"{option} {path}: no such file — give the path of your {option[2:]} CSV")
    return path


def table_block(
    images: Path, ratings: Path, base: Path, columns: dict[str, str] | None = None, scale: tuple[float, float] = (1, 5)
) -> dict[str, Any]:
    """The ``dataset`` block of ``kind: table`` for an image table and a raw-ratings table.

    The data root is the image table's folder (the image paths in it are relative to it);
    ``root`` is written relative to ``base``, the directory the pipeline runs in, and the
    ratings relative to the root (``..`` where they lie elsewhere).
    """
    images, ratings = _existing_file(Path(images), "--images"), _existing_file(Path(ratings), "--ratings")
    root = images.resolve().parent
    return {
        "kind": "table",
        "root": _relative(root, base) or ".",
        "images": images.name,
        "ratings": Path(os.path.relpath(ratings.resolve(), root)).as_posix(),
        "columns": dict(columns or {}),
        "rating_scale": [float(v) if v % 1 else int(v) for v in scale],
    }


def parse_columns(pairs: list[str]) -> dict[str, str]:
    """``["image_id=id", ...]`` -> ``{"image_id": "id"}`` (contract column -> your column)."""
    out = {}
    for pair in pairs:
        name, sep, yours = pair.partition("=")
        if not sep or not name or not yours:
            raise InputError(f"--column {pair!r}: write CONTRACT=YOURS, e.g. --column image_id=id")
        out[name] = yours
    return out


def _flow(value: Any) -> str:
    # JSON is YAML: lists stay on one line and strings quoted
    return json.dumps(value)


def _comment(prop: dict[str, Any]) -> str:
    description = " ".join(str(prop.get("description", "")).split())
    return f"  # {description}" if description else ""


def _emit(node: dict[str, Any], props: dict[str, Any], indent: int) -> list[str]:
    lines = []
    for key, value in node.items():
        prop = props.get(key, {})
        pad = " " * indent
        if isinstance(value, dict) and value:
            lines.append(f"{pad}{key}:{_comment(prop)}")
            lines += _emit(value, prop.get("properties", {}), indent + 2)
        else:
            lines.append(f"{pad}{key}: {_flow(value)}{_comment(prop)}")
    return lines


def commented_yaml(config: dict[str, Any], schema: dict[str, Any], header: list[str]) -> str:
    """``config`` as YAML, each key followed by its schema description as a comment."""
    top = [f"# {line}" if line else "#" for line in header]
    body = []
    for key, value in config.items():
        body += _emit({key: value}, schema["properties"], 0)
        if isinstance(value, dict):
            body.append("")
    return "\n".join([*top, "", *body]).rstrip() + "\n"


def header_lines(preset: str, images: Path, ratings: Path, base: Path, output: Path) -> list[str]:
    """The comment block at the top of a written config."""
    return [
        f"authxai config for {images} and {ratings}, written by `authxai init --preset {preset}` "
        f"on {datetime.date.today().isoformat()}.",
        f"Preset {preset}: {PRESETS[preset][0]}.",
        f"Paths are relative to the directory the pipeline runs in ({base.resolve()}).",
        "Every setting the cost depends on is spelled out: a key left out takes the schema's default, which is "
        "the paper's scale.",
        f"Cost: `authxai estimate {output}`; run: `authxai run {output}`. Settings: config/README.md.",
    ]


def write_config(
    output: Path,
    images: Path,
    ratings: Path,
    preset: str = "laptop",
    base: Path = Path("."),
    columns: dict[str, str] | None = None,
    scale: tuple[float, float] = (1, 5),
    force: bool = False,
) -> dict[str, Any]:
    """Write the config of ``preset`` for the two tables to ``output`` after building its plan.

    Raises a one-line :class:`InputError` when ``output`` exists (unless ``force``) or the data
    cannot carry the study. Returns the written config.
    """
    from authxai.config import load_schema
    from authxai.plan import build_plan

    output = Path(output)
    if output.exists() and not force:
        raise InputError(f"{output} exists: pass --force to overwrite it, or choose another --output")
    config = preset_config(preset, table_block(images, ratings, base, columns, scale))
    build_plan(config, base)  # the config parses and the data carry the study, or one line
    text = commented_yaml(config, load_schema(), header_lines(preset, Path(images), Path(ratings), base, output))
    if yaml.safe_load(text) != config:  # the comments must not change a value
        raise AssertionError("commented config does not read back as written")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    return config
