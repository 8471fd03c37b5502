"""Config validation against the schema ``authxai/schemas/config.schema.yaml`` with one-line errors.

``snakemake.utils.validate`` reports a multi-line jsonschema dump; users need the key path and
what is allowed. :func:`validate_config` fills schema defaults, then reports the first error as
``config key 'a.b': <problem>``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from authxai.attribution.methods import schema_blocks
from authxai.data.adapters import check_rating_scale
from authxai.data.kinds import DATASET_KINDS, get_kind
from authxai.errors import InputError
from authxai.models.backbones import REGISTRY

#: Package data, so that the schema comes with any install of authxai (editable or a wheel).
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "config.schema.yaml"


#: ``consistency.prototype_seeds.<method>``: the variants averaged into a prototype.
PROTOTYPE_SEEDS = {
    "default": "all",
    "description": "all, or a list of seeds among the method's explained variants",
    "oneOf": [
        {"type": "string", "enum": ["all"]},
        {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 1},
    ],
}


#: ``attribution.precision``: the trunk precision of every method, or of each method by name.
PRECISION_DESCRIPTION = (
    "trunk precision of the attribution jobs and of the sanity checks of their maps (faithfulness curves "
    "stay fp32): fp32 (the default) on every device (GPU = CPU maps), or bf16 autocast with tail, heads and "
    "differences in fp32 (2.5x faster on CPUs with AVX512-BF16 and on GPUs); one value for every method or a "
    "mapping per method, e.g. {lime: bf16} (methods left out: fp32). bf16 on a CPU without native bf16 (AVX2 "
    "only) runs fp32 and says so in one line; the provenance records what ran. Grad-CAM always runs fp32"
)


def _precision_schema(names: list[str]) -> dict:
    precisions = {"type": "string", "enum": ["fp32", "bf16"]}
    per_method = {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: precisions for name in names},
    }
    return {"default": "fp32", "description": PRECISION_DESCRIPTION, "oneOf": [precisions, per_method]}


def load_schema(path: str | Path = SCHEMA_PATH) -> dict:
    """The config JSON schema: the YAML file, with what the registries decide filled in — the
    dataset kinds (:data:`authxai.data.kinds.DATASET_KINDS`), the architecture names
    (:data:`authxai.models.backbones.REGISTRY`), the attribution methods and each method's
    settings block (:data:`authxai.attribution.methods.METHODS`)."""
    with open(path) as fh:
        schema = yaml.safe_load(fh)
    props = schema["properties"]
    kind = props["dataset"]["properties"]["kind"]
    kind["enum"] = list(DATASET_KINDS)
    kind["description"] = "which adapter reads the data: " + "; ".join(
        f"{name} ({entry.description})" for name, entry in DATASET_KINDS.items()
    )
    props["models"]["properties"]["archs"]["items"]["enum"] = list(REGISTRY)
    names, blocks = schema_blocks()
    attribution = props["attribution"]["properties"]
    attribution["methods"] = {
        "type": "array",
        "items": {"type": "string", "enum": names},
        "default": names,
        "description": "attribution methods (authxai.attribution.methods.METHODS)",
    }
    attribution.update(blocks)
    attribution["precision"] = _precision_schema(names)
    props["consistency"]["properties"]["prototype_seeds"]["properties"] = {name: PROTOTYPE_SEEDS for name in names}
    return schema


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
            key = {k: f"models.overrides.{arch}.{k}" if k in override else f"models.{k}" for k in ("crop", "resize")}
            raise InputError(
                f"config key '{key['crop']}' = {crop} is larger than {key['resize']} = {resize}"
                + (f" for {arch}" if arch else "")
                + f": the centre crop would be {100 * (1 - (resize / crop) ** 2):.0f}% black padding — "
                "set crop <= resize"
            )
    check_rating_scale(config["dataset"]["rating_scale"])
    check_weights(models)
    check_dataset_paths(config["dataset"])
    seeds = config["training"]["seeds"]
    if config["sanity"]["variant"] >= seeds:
        raise InputError(
            f"config key 'sanity.variant' = {config['sanity']['variant']}: only seeds 0..{seeds - 1} are trained "
            "(training.seeds) — pick one of them"
        )


def check_weights(models: dict) -> None:
    """``models.weights`` names architectures of ``models.archs`` and files that exist."""
    for arch, path in models["weights"].items():
        if arch not in models["archs"]:
            raise InputError(
                f"config key 'models.weights.{arch}': not in models.archs {models['archs']} — fix the "
                "architecture name or remove the entry"
            )
        if not Path(path).is_file():
            raise InputError(
                f"config key 'models.weights.{arch}': {path} not found — put the state dict (.pth/.safetensors) "
                "there or fix the path"
            )


def check_dataset_paths(dataset: dict) -> None:
    """A rendered study's folder belongs to it (:class:`authxai.data.kinds.DatasetKind`): it is
    rendered there (a different ``dataset.root`` would be ignored), and another kind's dataset
    must not pick up its exclusion list (``--config`` merges into config/config.yaml, which
    names the embedded study's)."""
    kind = get_kind(dataset["kind"])
    if kind.root and dataset["root"] not in (".", kind.root):
        raise InputError(
            f"config key 'dataset.root' = {dataset['root']!r}: the embedded study is rendered to "
            f"{kind.root} — remove dataset.root, or use kind: table to read your own images"
        )
    combos = dataset["exclusion"].get("combos_file")
    if combos and combos != kind.combos_file and combos in {k.combos_file for k in DATASET_KINDS.values()}:
        raise InputError(
            f"config key 'dataset.exclusion.combos_file' = {combos!r} is the embedded study's exclusion "
            f"list, not one for a kind: {dataset['kind']} dataset — set your own (or null)"
        )
