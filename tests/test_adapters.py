"""Dataset adapters: the exclusion rule, column renames, MOS, and one-line errors on bad input."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from authxai.data.adapters import load_metadata
from authxai.errors import InputError
from authxai.psychometrics import zscore_ratings
from conftest import write_table_dataset


def test_exclusion_rule_on_aigciqa2023_removes_exactly_1032(aigc_metadata):
    images, ratings = aigc_metadata
    assert len(images) == 2400 and images["kept"].sum() == 1368 and (~images["kept"]).sum() == 1032
    assert len(ratings) == 0  # MOS only: no raw ratings ship
    means = images[images["kept"]].groupby("generator")["mos_authenticity"].mean()
    # Generator order n // 400 (data/aigciqa2023/README.md): 53.5 / 57.3 / 46.7 / 42.7 / 53.5 / 49.8
    expected = {
        "ControlNet": 53.5,
        "DALLE": 57.3,
        "GLIDE": 46.7,
        "Lafite": 42.7,
        "StableDiffusion": 53.5,
        "Unidiffuser": 49.8,
    }
    for gen, value in expected.items():
        assert means[gen] == pytest.approx(value, abs=0.06)


def test_exclusion_rule_matches_an_independent_merge(aigc_metadata):
    images, _ = aigc_metadata
    table = pd.read_csv(Path(__file__).parents[1] / "data/aigciqa2023/AIGCIQA2023.csv", index_col=0)
    combos = pd.read_csv(Path(__file__).parents[1] / "data/aigciqa2023/excluded_prompt_combos.csv")
    merged = table.merge(
        combos, left_on=["class", "style"], right_on=["Category", "Challenge"], how="left", indicator=True
    )
    np.testing.assert_array_equal(images["kept"].to_numpy(), (merged["_merge"] == "left_only").to_numpy())


def test_table_dataset_with_renames(tmp_path):
    spec = write_table_dataset(tmp_path / "lab")
    images, ratings = load_metadata(spec, tmp_path)
    assert list(images["image_id"]) == [f"im{i}" for i in range(8)]
    # im0 and im6 are Animals × Imagination (i % 2 == 0 and i % 3 == 0): excluded
    assert images.set_index("image_id")["kept"].to_dict() == {
        f"im{i}": not (i % 2 == 0 and i % 3 == 0) for i in range(8)
    }
    raw = pd.read_csv(tmp_path / "lab" / "ratings.csv").rename(columns={"id": "image_id", "score": "raw"})
    z = zscore_ratings(raw)
    expected = (z[z.dimension == "authenticity"].groupby("image_id")["z"].mean() + 3) / 6 * 100
    got = images.set_index("image_id")["mos_authenticity"]
    np.testing.assert_allclose(got.loc[expected.index], expected)
    assert images["mos_correspondence"].isna().all()  # not rated: NaN, not an error
    assert len(ratings) == 8 * 6 * 2


def test_unknown_dataset_kind():
    with pytest.raises(InputError, match="dataset.kind"):
        load_metadata({"kind": "imagenet"})


def test_split_requirements_know_which_dataset_sizes_cannot_be_split():
    from authxai.config import validate_config
    from authxai.data.checks import minimum_kept, split_problems

    def exp12_test(n):  # the paper's rounding in integers: train floor(0.7 N), val floor(0.2 N)
        return n - (7 * n) // 10 - (2 * n) // 10

    def exp3_test(n):  # train floor(0.7 N), val floor(0.1 N)
        return n - (7 * n) // 10 - n // 10

    config = validate_config({"dataset": {"kind": "table"}})  # both regimes, 5 stacking folds
    sizes = range(10, 300)
    expected = [n for n in sizes if exp12_test(n) < 3 or exp3_test(n) < 5]
    assert [n for n in sizes if split_problems(n, config)] == expected
    assert all(split_problems(n, config) for n in range(10))
    # not monotone: 17 kept images give a 3-image test set, 20 give 2 (14 + 4 + 2)
    assert 17 not in expected and 20 in expected and minimum_kept(config) == max(expected) + 1 == 21
    config["attribution"]["regimes"] = ["test"]  # no ensembles: only Experiments 1-2's test set
    assert [n for n in sizes if split_problems(n, config)] == [n for n in sizes if exp12_test(n) < 3]
