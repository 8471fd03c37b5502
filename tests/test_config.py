"""Config schema: defaults, and one-line errors naming the key."""

import pytest
import yaml

from authxai.config import validate_config
from authxai.errors import InputError
from conftest import REPO


@pytest.mark.parametrize("name", ["config.yaml", "aigciqa2023.yaml"])
def test_shipped_configs_validate(name):
    cfg = validate_config(yaml.safe_load((REPO / "config" / name).read_text()))
    assert cfg["psychometrics"]["n_splits"] == 20


def test_defaults_are_filled():
    cfg = validate_config({"dataset": {"kind": "table"}})
    assert cfg["dataset"]["rating_scale"] == [1, 5]
    assert cfg["synthetic"]["n_images"] >= 600
    assert cfg["psychometrics"]["subset"] == "kept"


@pytest.mark.parametrize(
    "config,key",
    [
        ({"dataset": {"kind": "table"}, "psychometrix": {}}, "'psychometrix'"),
        ({"dataset": {"kind": "table", "rootdir": "x"}}, "'dataset.rootdir'"),
        ({"dataset": {"kind": "table"}, "synthetic": {"n_images": "many"}}, "'synthetic.n_images'"),
        ({"dataset": {"kind": "table"}, "synthetic": {"n_images": 3}}, "'synthetic.n_images'"),
        ({"dataset": {"kind": "imagenet"}}, "'dataset.kind'"),
        ({"dataset": {"kind": "table"}, "psychometrics": {"subset": "some"}}, "'psychometrics.subset'"),
        ({"seed": 0}, "'dataset'"),
    ],
)
def test_bad_config_names_the_key(config, key):
    with pytest.raises(InputError) as info:
        validate_config(config)
    assert key in str(info.value) and "\n" not in str(info.value)
