"""One registry per axis: the config schema, the tables, the figures and the ensembles follow the
method and architecture registries, and an entry is all a new method or backbone needs there."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from authxai.attribution import methods as method_registry
from authxai.attribution.maps import map_array
from authxai.attribution.methods import COMMON_COLUMNS, METHODS, Method, Panel, get_method
from authxai.attribution.pipeline import explain_variants
from authxai.attribution.variants import ExplainedVariants, SharedTrunkVariants
from authxai.config import load_schema, validate_config
from authxai.data.kinds import DATASET_KINDS, get_kind
from authxai.ensemble import StackingWeights, ensemble_map_rows
from authxai.errors import InputError
from authxai.models import backbones
from authxai.models.backbones import FAMILIES, REGISTRY, build_backbone, split_backbone
from authxai.models.heads import RegressionHead
from authxai.workflow import registered_name

REPO = Path(__file__).resolve().parents[1]
CAPTIONS = REPO / "src" / "authxai" / "report" / "captions"
SETTINGS = {
    "gradcam": {},
    "lime": {"n_segments": 12, "num_samples": 16, "seed": 0, "batch_size": 16},
    "mpm": {"patch_sizes": [3, 9], "stride": 8, "batch_size": 16},
}


@pytest.fixture(scope="module")
def variants() -> SharedTrunkVariants:
    """Two variants of the real EfficientNet-Lite0 trunk (one pruned), on 32-px images."""
    trunk, tail = split_backbone(build_backbone("efficientnet_lite0"), "efficientnet_lite0")
    torch.manual_seed(0)
    heads = [RegressionHead(1280, (512, 128)).eval() for _ in range(2)]
    return SharedTrunkVariants(trunk, tail, heads, [None, (torch.rand(1280) > 0.5).float()]).eval()


def _image() -> torch.Tensor:
    return torch.randn(3, 32, 32, generator=torch.Generator().manual_seed(3))


def test_schema_enums_are_the_registries():
    schema = load_schema()["properties"]
    assert schema["models"]["properties"]["archs"]["items"]["enum"] == list(REGISTRY)
    methods = schema["attribution"]["properties"]["methods"]
    assert methods["items"]["enum"] == methods["default"] == list(METHODS)
    prototypes = schema["consistency"]["properties"]["prototype_seeds"]["properties"]
    assert list(prototypes) == list(METHODS)
    # the YAML file does not repeat the lists (one place decides)
    text = (REPO / "src" / "authxai" / "schemas" / "config.schema.yaml").read_text()
    assert "densenet161" not in text and "gradcam" not in text
    assert schema["dataset"]["properties"]["kind"]["enum"] == list(DATASET_KINDS)
    assert "enum: [synthetic" not in text


def test_dataset_kinds_are_entries_with_capabilities():
    """The workflow asks a kind what it can do, never its name: a new kind is one entry."""
    synthetic, table = DATASET_KINDS["synthetic"], DATASET_KINDS["table"]
    assert synthetic.rendered and synthetic.cue_masks and synthetic.counterfactuals and synthetic.root
    assert not (table.rendered or table.cue_masks or table.counterfactuals or table.root)
    assert DATASET_KINDS["aigciqa2023"].published_mos and not table.published_mos
    with pytest.raises(InputError, match="dataset.kind = 'csv' is not one of"):
        get_kind("csv")
    with pytest.raises(InputError, match="'dataset.kind'"):
        validate_config({"dataset": {"kind": "csv"}})
    # no string tests of the kind outside the registry
    sources = [*(REPO / "src").rglob("*.py"), *(REPO / "workflow").rglob("*.smk"), REPO / "Snakefile"]
    kinds = "|".join(DATASET_KINDS)
    for path in sources:
        if path.name != "kinds.py":
            assert not re.search(rf"[!=]= *[\"']({kinds})[\"']", path.read_text()), path


def test_each_method_has_its_settings_block_with_defaults():
    cfg = validate_config({"dataset": {"kind": "synthetic"}})["attribution"]
    for name, method in METHODS.items():
        assert set(cfg[name]) == set(method.settings) | {"seeds"}
        assert cfg[name]["seeds"] == "all"
        assert all(cfg[name][key] == spec["default"] for key, spec in method.settings.items())
    with pytest.raises(InputError, match=r"attribution\.mpm\.n_segments"):
        validate_config({"dataset": {"kind": "synthetic"}, "attribution": {"mpm": {"n_segments": 5}}})


def test_unknown_method_or_architecture_names_the_choices():
    with pytest.raises(InputError, match="attribution.methods.0"):
        validate_config({"dataset": {"kind": "synthetic"}, "attribution": {"methods": ["smoothgrad"]}})
    with pytest.raises(InputError, match="models.archs.0"):
        validate_config({"dataset": {"kind": "synthetic"}, "models": {"archs": ["alexnet"]}})
    with pytest.raises(KeyError, match="use one of"):
        get_method("smoothgrad")


@pytest.mark.parametrize("name", list(METHODS))
def test_rows_hold_exactly_the_registered_columns(variants, name):
    rows = explain_variants(name, variants, _image(), SETTINGS[name], ExplainedVariants("a", "val", "im", (0, 1)))
    assert len(rows) == 2
    expected = {"map", "height", "width", *METHODS[name].columns}
    if name == "lime":  # the ensemble regime also records the outputs on the ensemble's draw
        expected |= {"ensemble_seed", "ensemble_predictions"}
    for row in rows:
        assert set(row) == expected
        assert map_array({**row, "height": 32, "width": 32}).shape == (32, 32)
    assert not set(METHODS[name].columns) & set(COMMON_COLUMNS)


@pytest.mark.parametrize("name", list(METHODS))
def test_every_table_and_panel_of_a_method_is_there(variants, name):
    method = METHODS[name]
    # a report caption for its within-consistency table (its own, or the generic one)
    stems = [p.stem for p in CAPTIONS.glob("*.rst")]
    assert registered_name(method.within_table_name, stems) is not None
    row = explain_variants(name, variants, _image(), SETTINGS[name])[0]
    panels = method.map_panels(row)
    assert all(isinstance(p, Panel) and p.values.shape == (32, 32) for p in panels)
    n_scales = len(SETTINGS["mpm"]["patch_sizes"]) + 1 if name == "mpm" else 1
    assert len(panels) == n_scales
    assert panels[0].title.startswith(method.label.split("-")[0])


def test_ensemble_maps_follow_the_registry(variants):
    """Each method with an ensemble entry combines its rows; MPM's bagging map is the mean of
    the variants' maps (linear), stacking uses the meta-learner's weights."""
    with_ensembles = [name for name, m in METHODS.items() if m.ensemble is not None]
    assert with_ensembles == ["mpm", "lime"]
    who = ExplainedVariants("efficientnet_lite0", "val", "im", (0, 1))
    rows = explain_variants("mpm", variants, _image(), SETTINGS["mpm"], who)
    for row in rows:
        row.update(arch="efficientnet_lite0", image_id="im")
    stacking = StackingWeights(np.array([0.25, 0.5]), 3.0)
    out = ensemble_map_rows(rows, METHODS["mpm"].ensemble, stacking, "mpm", "im")
    maps = np.stack([map_array(r) for r in rows]).astype(np.float64)
    assert [r["kind"] for r in out] == ["bagging", "stacking"]
    np.testing.assert_allclose(map_array(out[0]), maps.mean(axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(map_array(out[1]), 0.25 * maps[0] + 0.5 * maps[1], rtol=1e-5, atol=1e-6)


def test_a_new_method_is_one_entry(monkeypatch):
    """A registered method reaches the schema (enum, settings with defaults, prototype seeds)."""

    def constant_rows(variants, image, cfg, who=None):
        return [{"map": np.full(image.shape[-2:], cfg["level"], np.float32)} for _ in variants.heads]

    extra = Method(
        name="constant",
        label="Constant",
        rows=constant_rows,
        settings={"level": {"type": "number", "default": 0.5}},
    )
    monkeypatch.setitem(method_registry.METHODS, "constant", extra)
    cfg = validate_config({"dataset": {"kind": "synthetic"}, "attribution": {"methods": ["constant"]}})
    assert cfg["attribution"]["constant"] == {"level": 0.5, "seeds": "all"}
    assert cfg["consistency"]["prototype_seeds"]["constant"] == "all"
    assert extra.within_table_name == "table_within_constant"
    assert registered_name(extra.within_table_name, [p.stem for p in CAPTIONS.glob("*.rst")]) == "table_within"
    assert extra.precision("bf16") == "bf16" and METHODS["gradcam"].precision("bf16") == "fp32"
    assert Method(name="smooth_grad", label="SmoothGrad", rows=constant_rows).name == "smooth_grad"
    for bad in ("Smooth-Grad", "2grad", "smooth/grad"):
        with pytest.raises(ValueError, match="lower-case letters, digits and _"):
            Method(name=bad, label="SmoothGrad", rows=constant_rows)


def test_architectures_are_keyword_entries_of_known_families():
    # every family is used and every entry names one (its behaviour lives there, nowhere else)
    assert set(FAMILIES) == {spec.family for spec in REGISTRY.values()}
    assert all(name == spec.name for name, spec in REGISTRY.items())
    with pytest.raises(TypeError):  # keyword fields only: no positional argument lists
        backbones.ArchSpec("x", "vgg", "torchvision.models.vgg16", "features.28", 4096, (128,), "random")


def test_config_files_name_registered_entries():
    """The shipped configs only name registered architectures and methods."""
    for path in sorted((REPO / "config").glob("*.yaml")):
        cfg = yaml.safe_load(path.read_text())
        assert set(cfg["models"]["archs"]) <= set(REGISTRY), path
        assert set(cfg["attribution"]["methods"]) <= set(METHODS), path


def test_architectures_carry_their_display_label_and_weight_source():
    labels = {name: spec.label for name, spec in REGISTRY.items()}
    assert labels["efficientnet_lite0"] == "lite0" and labels["efficientnet_b3"] == "b3"
    assert labels["vgg16"] == "vgg16" and labels["random_lite0"] == "random_lite0"
    assert (
        backbones.arch_label("efficientnet_lite1") == "lite1"
        and backbones.arch_label("not_registered") == "not_registered"
    )
    assert all(isinstance(spec.weights, backbones.WeightSource) for spec in REGISTRY.values())
    assert [n for n, s in REGISTRY.items() if isinstance(s.weights, backbones.RandomInit)] == ["random_lite0"]
    assert backbones.control_archs(list(REGISTRY)) == ["random_lite0"]
    assert backbones.default_weights_path(REGISTRY["random_lite0"]) is None
    assert backbones.default_weights_path(REGISTRY["barlowtwins_resnet50"]).name == "resnet50.pth"
    assert backbones.default_weights_path(REGISTRY["vgg16"]).name.startswith("vgg16-")


def test_backbones_package_files_are_small():
    package = REPO / "src" / "authxai" / "models" / "backbones"
    lengths = {path.name: len(path.read_text().splitlines()) for path in package.glob("*.py")}
    assert {"vgg.py", "resnet.py", "densenet.py", "efficientnet.py", "efficientnet_lite.py"} <= set(lengths)
    assert max(lengths.values()) <= 400, lengths
