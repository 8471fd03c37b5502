"""The committed config reference (config/README.md) is what the schema renders to."""

from pathlib import Path

import pytest

from authxai import config_reference
from authxai.config import load_schema

REPO = Path(__file__).resolve().parents[1]


def test_committed_reference_is_rendered_from_the_schema():
    committed = (REPO / config_reference.OUTPUT).read_text()
    assert committed == config_reference.render(load_schema()), (
        "config/README.md is out of date: run python -m authxai.config_reference"
    )


def test_every_key_has_a_type_a_default_and_a_description():
    rows = list(config_reference.settings(load_schema()))
    assert {"dataset.kind", "attribution.mpm.stride", "consistency.prototype_seeds.lime"} <= {s.key for s in rows}
    assert not [s.key for s in rows if not s.description], "schema keys without a description"
    assert not [s.key for s in rows if not s.default and s.key != "dataset.kind" and s.type != "object, keys below"]


def test_types_defaults_and_sections_render():
    schema = {
        "properties": {
            "seed": {"type": "integer", "minimum": 0, "default": 0, "description": "a | b"},
            "block": {
                "type": "object",
                "description": "a section",
                "properties": {
                    "alpha": {"oneOf": [{"type": "string", "enum": ["cv"]}, {"type": "number", "minimum": 0}]},
                    "n": {"type": ["integer", "null"], "default": None},
                    "inner": {"type": "object", "properties": {"xs": {"type": "array", "items": {"type": "string"}}}},
                },
            },
        }
    }
    assert [(s.key, s.type, s.default) for s in config_reference.settings(schema)] == [
        ("seed", "integer >= 0", "0"),
        ("block", "object, keys below", ""),
        ("block.alpha", "one of: cv or number >= 0", ""),
        ("block.n", "integer or null", "null"),
        ("block.inner.xs", "list of string", ""),
    ]
    text = config_reference.render(schema)
    assert "## General" in text and "## `block`" in text and "a section" in text
    assert "| `seed` | integer >= 0 | `0` | a \\| b |" in text


def test_check_flags_a_stale_file(tmp_path):
    out = tmp_path / "README.md"
    config_reference.main([str(out)])
    config_reference.main([str(out), "--check"])
    out.write_text("stale")
    with pytest.raises(SystemExit, match="out of date"):
        config_reference.main([str(out), "--check"])
