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
    return filled
