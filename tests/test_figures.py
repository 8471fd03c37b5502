"""Photo panels of the figures show the image exactly as the model saw it (resize + centre crop
of the dataset's own file, per architecture), with the planted cues outlined where masks exist."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from authxai.errors import InputError
from authxai.figures import ModelView, draw_figure
from authxai.figures.common import photo_panel
from authxai.tables import write_parquet

ARCH = "efficientnet_lite0"
OTHER_ARCH = "random_lite0"
#: A non-square photo (300 × 450) and a preprocessing whose crop cuts its sides off.
HEIGHT, WIDTH, RESIZE, CROP = 300, 450, 96, 80
#: The planted cue of the test photo: rows 100–199, columns 150–299 of the original.
CUE = (slice(100, 200), slice(150, 300))
IMAGE_ID = "astronaut"


def by_hand(image: Image.Image, resample: int) -> np.ndarray:
    """Shorter side 300 -> 96 (450 -> 144), then the centred 80 × 80 square, in plain PIL."""
    resized = image.resize((WIDTH * RESIZE // HEIGHT, RESIZE), resample)
    left, top = (resized.width - CROP) // 2, (resized.height - CROP) // 2
    return np.asarray(resized.crop((left, top, left + CROP, top + CROP)))


@pytest.fixture(autouse=True)
def close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def cue_mask_pixels() -> np.ndarray:
    """The test photo's cue mask at full size, a bit field as the planted-cue study writes it."""
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    mask[CUE] = 4
    return mask


def write_image_table(path: Path | str, cue_mask_path: str | None = None) -> str:
    """The image table of the test photo (no cue mask: a ``kind: table`` dataset)."""
    table = pd.DataFrame({"image_id": [IMAGE_ID], "path": [f"img/{IMAGE_ID}.png"], "cue_mask_path": [cue_mask_path]})
    return str(write_parquet(table, path))


@pytest.fixture
def dataset(tmp_path: Path) -> dict:
    """A ``kind: table``-style dataset root with one real photo and its cue mask, the image
    table, and the view of two architectures with different preprocessing."""
    from skimage import data

    root = tmp_path / "data"
    (root / "img").mkdir(parents=True)
    (root / "masks").mkdir()
    Image.fromarray(data.astronaut()[:HEIGHT, :WIDTH]).save(root / "img" / f"{IMAGE_ID}.png")
    Image.fromarray(cue_mask_pixels()).save(root / "masks" / f"{IMAGE_ID}.png")
    images = write_image_table(tmp_path / "images.parquet")
    view = ModelView(root, {ARCH: {"resize": RESIZE, "crop": CROP}, OTHER_ARCH: {"resize": 64, "crop": 64}})
    expected = by_hand(Image.open(root / "img" / f"{IMAGE_ID}.png").convert("RGB"), Image.BILINEAR)
    return {"tmp": tmp_path, "root": root, "images": images, "view": view, "expected": expected}


def _write(tmp: Path, name: str, rows: list[dict]) -> str:
    return str(write_parquet(pd.DataFrame(rows), tmp / f"{name}.parquet"))


def _map(seed: int = 0) -> dict:
    values = np.random.default_rng(seed).normal(size=CROP * CROP)
    return {"image_id": IMAGE_ID, "height": CROP, "width": CROP, "map": values.tolist()}


def example_inputs(tmp: Path, images: str) -> dict:
    """Grad-CAM, LIME and MPM tables of seed 0 of ``ARCH`` on the test photo."""
    segments = (np.arange(CROP)[:, None] // 20 * 4 + np.arange(CROP)[None, :] // 20).ravel()
    meta = {"arch": ARCH, "seed": 0, **_map()}
    drops = np.random.default_rng(1).normal(size=(2, CROP, CROP)).ravel()
    maps = {
        "gradcam": _write(tmp, "gradcam", [meta]),
        "lime": _write(tmp, "lime", [{**meta, "segments": segments.tolist(), "r2": 0.5, "n_segments": 16}]),
        "mpm": _write(tmp, "mpm", [{**meta, "patch_sizes": [3, 9], "drops": drops.tolist()}]),
    }
    return {"images": images, "maps": maps}


def tessellation_inputs(tmp: Path, images: str) -> dict[str, str]:
    return {"images": images, "lime": example_inputs(tmp, images)["maps"]["lime"]}


def across_inputs(tmp: Path, images: str) -> dict:
    """Across-architecture agreement and prototypes of one method on the test photo."""
    across = [{"image_id": IMAGE_ID, "arch_a": ARCH, "arch_b": OTHER_ARCH, "pearson": 0.3}]
    prototypes = [{"arch": arch, **_map(k)} for k, arch in enumerate((ARCH, OTHER_ARCH))]
    return {
        "images": images,
        "across": {"mpm": _write(tmp, "across_mpm", across)},
        "prototypes": {"mpm": _write(tmp, "prototypes_mpm", prototypes)},
    }


def ensemble_inputs(tmp: Path, images: str) -> dict:
    """Bagging/stacking MPM maps of the test photo and seed 0 of both architectures."""
    ensemble = [{"kind": kind, "n_variants": 4, **_map(k)} for k, kind in enumerate(("bagging", "stacking"))]
    return {
        "images": images,
        "ensemble": {"mpm": [_write(tmp, "ensemble_mpm", ensemble)]},
        "single": {
            "mpm": {arch: [_write(tmp, f"single_{arch}", [{"seed": 0, **_map()}])] for arch in (ARCH, OTHER_ARCH)}
        },
    }


#: Every figure with a photo panel -> how to build its inputs (its first axes is the photo).
PHOTO_FIGURES = {
    "fig_examples_efficientnet_lite0": example_inputs,
    "figA2_lime_tessellation": tessellation_inputs,
    "fig4_across_examples": across_inputs,
    "fig5_ensemble_maps": ensemble_inputs,
}


def _with_cue_mask(dataset: dict) -> None:
    write_image_table(dataset["images"], f"masks/{IMAGE_ID}.png")


@pytest.mark.parametrize("name", PHOTO_FIGURES)
def test_photo_panel_is_the_image_the_model_saw(dataset, name):
    """The photo panel's pixels are the file resized (shorter side) and centre-cropped by hand."""
    inputs = PHOTO_FIGURES[name](dataset["tmp"], dataset["images"])
    fig = draw_figure(name, inputs, dataset["view"])
    photo = np.asarray(fig.axes[0].images[0].get_array())
    assert photo.shape == (CROP, CROP, 3) and photo.dtype == np.uint8
    np.testing.assert_array_equal(photo, dataset["expected"])
    assert not fig.axes[0].lines  # no cue mask in a table dataset: no outlines


def test_photo_of_each_architecture_uses_its_own_preprocessing(dataset):
    import matplotlib.pyplot as plt

    table = pd.read_parquet(dataset["images"]).set_index("image_id")
    fig, ax = plt.subplots()
    photo_panel(ax, dataset["view"], table.loc[IMAGE_ID], OTHER_ARCH, "random")
    assert ax.images[0].get_array().shape == (64, 64, 3)


def test_missing_image_is_a_one_line_error(dataset):
    (dataset["root"] / "img" / f"{IMAGE_ID}.png").unlink()
    inputs = example_inputs(dataset["tmp"], dataset["images"])
    with pytest.raises(InputError) as err:
        draw_figure("fig_examples_efficientnet_lite0", inputs, dataset["view"])
    message = str(err.value)
    assert "\n" not in message
    assert str(dataset["root"] / "img" / f"{IMAGE_ID}.png") in message and "dataset.root" in message


def test_missing_cue_mask_is_a_one_line_error(dataset):
    _with_cue_mask(dataset)
    (dataset["root"] / "masks" / f"{IMAGE_ID}.png").unlink()
    with pytest.raises(InputError, match="cue mask not found"):
        draw_figure("figA2_lime_tessellation", tessellation_inputs(dataset["tmp"], dataset["images"]), dataset["view"])


def test_photo_figure_without_view_is_an_error(dataset):
    with pytest.raises(InputError, match="shows photos"):
        draw_figure("figA2_lime_tessellation", tessellation_inputs(dataset["tmp"], dataset["images"]))


def test_cue_mask_goes_through_the_same_geometry(dataset):
    _with_cue_mask(dataset)
    table = pd.read_parquet(dataset["images"]).set_index("image_id")
    mask = dataset["view"].cue_mask(table.loc[IMAGE_ID], ARCH)
    expected = by_hand(Image.fromarray(cue_mask_pixels()), Image.NEAREST) > 0
    np.testing.assert_array_equal(mask, expected)
    assert 0 < mask.sum() < mask.size


@pytest.mark.parametrize("name", PHOTO_FIGURES)
def test_cue_outlines_are_drawn_where_a_mask_exists(dataset, name):
    _with_cue_mask(dataset)
    fig = draw_figure(name, PHOTO_FIGURES[name](dataset["tmp"], dataset["images"]), dataset["view"])
    photo_ax = fig.axes[0]
    assert photo_ax.lines, "no cue outline on the photo panel"
    points = np.concatenate([np.column_stack(line.get_data()) for line in photo_ax.lines])
    rows, cols = np.nonzero(by_hand(Image.fromarray(cue_mask_pixels()), Image.NEAREST))
    # The outline runs along the pixel edges of the cue as the model saw it.
    assert points[:, 0].min() == pytest.approx(cols.min() - 0.5, abs=0.51)
    assert points[:, 0].max() == pytest.approx(cols.max() + 0.5, abs=0.51)
    assert points[:, 1].min() == pytest.approx(rows.min() - 0.5, abs=0.51)
    assert points[:, 1].max() == pytest.approx(rows.max() + 0.5, abs=0.51)
    np.testing.assert_array_equal(np.asarray(photo_ax.images[0].get_array()), dataset["expected"])


def test_a_method_named_with_underscores_gets_its_own_rows(dataset, monkeypatch):
    """Figures get their inputs grouped by method, never split out of key names: a registered
    method whose name holds ``_`` is drawn like any other."""
    from dataclasses import replace

    from authxai.attribution.methods import METHODS
    from authxai.figures import consistency

    monkeypatch.setitem(METHODS, "mpm_v2", replace(METHODS["mpm"], name="mpm_v2", label="MPM v2"))
    monkeypatch.setattr(consistency, "METHOD_ORDER", tuple(METHODS))
    monkeypatch.setitem(consistency.METHOD_LABEL, "mpm_v2", "MPM v2")
    inputs = ensemble_inputs(dataset["tmp"], dataset["images"])
    inputs["ensemble"] = {"mpm_v2": inputs["ensemble"]["mpm"]}
    inputs["single"] = {"mpm_v2": inputs["single"]["mpm"]}
    fig = draw_figure("fig5_ensemble_maps", inputs, dataset["view"])
    assert fig.axes[0].get_title() == f"{IMAGE_ID}\nMPM v2"
    assert [ax.get_title() for ax in fig.axes if "seed" in ax.get_title()] == ["lite0 seed 0", "random_lite0 seed 0"]
