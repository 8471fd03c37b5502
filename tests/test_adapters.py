"""Dataset adapters: the exclusion rule, column renames, MOS, and one-line errors on bad input."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from authxai.data.adapters import load_metadata, verify_images
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


def _error(spec, base) -> str:
    with pytest.raises(InputError) as info:
        images, _ = load_metadata(spec, base)
        verify_images(images, base / spec["root"])
    msg = str(info.value)
    assert "\n" not in msg
    return msg


def _edit(path: Path, fn) -> None:
    fn(pd.read_csv(path, dtype=object)).to_csv(path, index=False)


def _set(row: int, col: str, value):
    def edit(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[row, col] = value
        return df

    return edit


def _drop(col: str):
    return lambda df: df.drop(columns=col)


@pytest.mark.parametrize(
    "file,edit,expect",
    [
        ("images.csv", _drop("file"), "missing column 'path'"),
        ("images.csv", _set(3, "id", "im2"), "duplicate value 'im2'"),
        ("images.csv", _set(1, "file", "../../etc/passwd"), "outside the data root"),
        ("images.csv", _set(1, "file", "/etc/passwd"), "outside the data root"),
        ("ratings.csv", _set(5, "score", np.nan), "column 'rating' row 5 is empty/NaN"),
        ("ratings.csv", _set(5, "score", "7"), "outside the rating scale"),
        ("ratings.csv", _set(5, "score", "good"), "row 5 is not a number"),
        ("ratings.csv", _set(5, "dimension", "beauty"), "'beauty' is not allowed"),
        ("ratings.csv", _set(5, "id", "ghost"), "'ghost', which is not in the image table"),
        ("ratings.csv", _set(3, "dimension", "quality"), "repeats participant"),
        ("ratings.csv", _drop("participant"), "missing column 'participant'"),
    ],
)
def test_bad_table_input_is_one_line_naming_the_file(tmp_path, file, edit, expect):
    spec = write_table_dataset(tmp_path / "lab")
    _edit(tmp_path / "lab" / file, edit)
    msg = _error(spec, tmp_path)
    assert expect in msg
    assert file in msg or "image table" in msg


def test_missing_image_file_names_the_file(tmp_path):
    spec = write_table_dataset(tmp_path / "lab")
    (tmp_path / "lab" / "img" / "im4.png").unlink()
    msg = _error(spec, tmp_path)
    assert "im4.png" in msg and "not found" in msg


def test_corrupt_image_file_names_the_file(tmp_path):
    spec = write_table_dataset(tmp_path / "lab")
    (tmp_path / "lab" / "img" / "im5.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    msg = _error(spec, tmp_path)
    assert "im5.png" in msg and "corrupt" in msg


def test_unreadable_table_names_the_file(tmp_path):
    spec = write_table_dataset(tmp_path / "lab")
    (tmp_path / "lab" / "images.csv").write_bytes(b"\xff\xfe\x00bad")
    assert "images.csv" in _error(spec, tmp_path)


def test_unknown_dataset_kind():
    with pytest.raises(InputError, match="dataset.kind"):
        load_metadata({"kind": "imagenet"})
