"""Config validation against ``workflow/schemas/config.schema.yaml`` with one-line errors.

``snakemake.utils.validate`` reports a multi-line jsonschema dump; users need the key path and
what is allowed. :func:`validate_config` fills schema defaults, then reports the first error as
``config key 'a.b': <problem>``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from authxai.errors import InputError

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


def load_schema(path: str | Path = SCHEMA_PATH) -> dict:
    """The config JSON schema (YAML file)."""
    with open(path) as fh:
        return yaml.safe_load(fh)


def fill_defaults(config: dict, schema: dict) -> dict:
    """Recursively add ``default`` values of object properties missing from ``config``."""
    out = copy.deepcopy(config)
    for key, sub in schema.get("properties", {}).items():
        if key not in out and "default" in sub:
            out[key] = copy.deepcopy(sub["default"])
        if isinstance(out.get(key), dict) and sub.get("type") == "object":
            out[key] = fill_defaults(out[key], sub)
    return out


def _describe(error: Any) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        key = ".".join(filter(None, [path, extra[0] if extra else "?"]))
        return f"config key '{key}' is not a known setting (allowed here: {', '.join(allowed)})"
    if error.validator == "required":
        return f"config key '{path or '<top>'}': {error.message}"
    what = error.schema.get("description", "")
    hint = f" ({what})" if what else ""
    return f"config key '{path or '<top>'}' = {error.instance!r}: {error.message}{hint}"


def validate_config(config: dict, schema: dict | None = None) -> dict:
    """Return ``config`` with defaults filled, or raise a one-line :class:`InputError`."""
    import jsonschema

    schema = schema or load_schema()
    filled = fill_defaults(config, schema)
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(filled), key=lambda e: (len(list(e.absolute_path)), str(e.message)))
    if errors:
        raise InputError(_describe(errors[0]))
    check_relations(filled)
    return filled


def check_relations(config: dict) -> None:
    """Rules between keys that a JSON schema cannot state, each a one-line :class:`InputError`."""
    models = config["models"]
    for arch in sorted(set(models["overrides"]) - set(models["archs"])):
        raise InputError(
            f"config key 'models.overrides.{arch}': not in models.archs {models['archs']} — fix the architecture "
            "name or remove the entry"
        )
    for arch, override in [(None, {})] + sorted(models["overrides"].items()):
        resize, crop = override.get("resize", models["resize"]), override.get("crop", models["crop"])
        if crop > resize:
            where = f"models.overrides.{arch}" if arch else "models"
            raise InputError(
                f"config key '{where}.crop' = {crop} is larger than its resize = {resize}: the centre crop "
                f"would be {100 * (1 - (resize / crop) ** 2):.0f}% black padding — set crop <= resize"
            )
    from authxai.data.adapters import check_rating_scale

    check_rating_scale(config["dataset"]["rating_scale"])
    seeds = config["training"]["seeds"]
    if config["sanity"]["variant"] >= seeds:
        raise InputError(
            f"config key 'sanity.variant' = {config['sanity']['variant']}: only seeds 0..{seeds - 1} are trained "
            "(training.seeds) — pick one of them"
        )
