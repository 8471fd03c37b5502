"""The explorer: compact maps that decode to what the tables hold, one data file per explained
image with every map of it, and the page driven in a real headless Chromium."""

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from authxai.attribution.maps import map_array
from authxai.explorer import dequantize, index_entry, pooled, pooled_labels, quantize
from conftest import TINY_CONFIG

#: Where a system Chromium is looked for (AUTHXAI_CHROMIUM first): Debian's package, Ubuntu's.
CHROMIUM_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
#: Flags for a closed network and a root user (Chromium's sandbox needs a user namespace).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# ------------------------------------------------------------------------------ units
def test_pooling_averages_blocks_by_one_integer_factor():
    values = np.arange(224 * 160, dtype=np.float32).reshape(224, 160)
    small = pooled(values, 112)
    assert small.shape == (112, 80)
    expected = values.reshape(112, 2, 80, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(small, expected, rtol=1e-6)
    assert pooled(values[:100, :100], 128).shape == (100, 100)  # fits: unchanged
    labels = np.repeat(np.arange(4), 56)[None, :].repeat(224, 0)
    assert pooled_labels(labels, 112).shape == (112, 112)


def test_quantized_maps_decode_within_half_a_step():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(64, 48)).astype(np.float32) * 3 - 1
    entry = quantize(values, 128)
    decoded = dequantize(entry)
    step = np.abs(values).max() / 127
    assert decoded.shape == (64, 48)
    assert np.abs(decoded - values).max() <= step / 2 + 1e-6
    assert entry["scale"] == pytest.approx(np.abs(values).max())
    # an all-zero map is valid (scale 0) and decodes to zeros
    assert not dequantize(quantize(np.zeros((8, 8)), 128)).any()


def test_index_entry_means_what_the_list_sorts_by():
    record = {
        "id": "a",
        "mos": 40.0,
        "kept": True,
        "role": "test",
        "maps": [{}] * 3,
        "within": [{"pearson": 0.2}, {"pearson": 0.6}],
        "across": [{"pearson": -0.5}],
        "localization": [{"kind": "variant", "auroc": 0.7}, {"kind": "prototype", "auroc": 0.1}],
        "predictions": [{"y": 40.0, "y_hat": 44.0}, {"y": 40.0, "y_hat": 38.0}],
    }
    entry = index_entry(record)
    assert entry == {
        "id": "a",
        "mos": 40.0,
        "kept": True,
        "role": "test",
        "within": 0.4,
        "across": -0.5,
        "auroc": 0.7,
        "error": 3.0,
        "maps": 3,
    }


# ------------------------------------------------------------------------------ the tiny run's page
def _load(path: Path) -> dict:
    text = path.read_text()
    return json.loads(text[text.index("(") + 1 : text.rindex(")")])


@pytest.mark.workflow
def test_every_explained_image_has_every_map_decoding_to_its_table(tiny_run):
    work, _ = tiny_run
    data = work / "results" / "explorer" / "data"
    index = _load(data / "index.js")
    ids = [im["id"] for im in index["images"]]
    assert sorted(p.stem for p in data.glob("*.js") if p.stem != "index") == sorted(ids)
    seeds = TINY_CONFIG["training"]["seeds"]
    archs = TINY_CONFIG["models"]["archs"]
    gradcam = pd.concat(pd.read_parquet(p) for p in (work / "results" / "attributions" / "gradcam").rglob("*.parquet"))
    for image_id in ids:
        record = _load(data / f"{image_id}.js")
        for method in ("gradcam", "lime", "mpm"):
            for regime in {m["regime"] for m in record["maps"] if m["variant"].startswith("seed")}:
                variants = {
                    (m["arch"], m["variant"])
                    for m in record["maps"]
                    if m["method"] == method and m["regime"] == regime and m["variant"].startswith("seed")
                }
                assert variants == {(a, f"seed {s}") for a in archs for s in range(seeds)}, (image_id, method)
        # one Grad-CAM map against its table row, decoded the way the page does
        entry = next(m for m in record["maps"] if m["method"] == "gradcam" and m["variant"] == "seed 1")
        row = gradcam[
            (gradcam.image_id == image_id)
            & (gradcam.seed == 1)
            & (gradcam.arch == entry["arch"])
            & (gradcam.regime == entry["regime"])
        ].iloc[0]
        original = pooled(map_array(row), 128)
        assert np.abs(dequantize(entry) - original).max() <= np.abs(original).max() / 254 + 1e-6
        views = list(record["views"].values())
        assert views and all(v["photo"].startswith("data:image/png;base64,") for v in views)
        assert all(v["cues"] for v in views)  # the planted-cue study has masks
    test_images = [im for im in index["images"] if im["role"] == "test"]
    assert test_images and all(im["within"] is not None for im in test_images)
    # cue AUROC exists exactly where the image has planted cues
    cues = pd.read_parquet(work / "results" / "data" / "images.parquet").set_index("image_id")["cue_count"]
    assert {im["id"]: im["auroc"] is not None for im in index["images"]} == {i: bool(cues[i]) for i in ids}


def _chromium() -> str:
    for path in [os.environ.get("AUTHXAI_CHROMIUM", ""), *CHROMIUM_PATHS]:
        if path and shutil.which(path):
            return path
    pytest.fail("no Chromium for the browser test: apt-get install chromium (Debian's), or set AUTHXAI_CHROMIUM")


@pytest.mark.workflow
def test_the_explorer_in_a_real_browser(tiny_run, tmp_path):
    """Headless Chromium opens the page from file://: no console errors; changing image,
    architecture, method and seed changes the displayed map's pixels; the seed grid shows a
    panel per seed; the URL fragment restores a view."""
    from playwright.sync_api import sync_playwright

    work, _ = tiny_run
    page_url = (work / "results" / "explorer" / "index.html").as_uri()
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(page_url)
        renders = _wait_render(page, 0)

        def pixels() -> str:
            return page.evaluate(
                """() => { const c = document.querySelector('#panels canvas');
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let h = 0; for (let i = 0; i < d.length; i += 7) h = (h * 31 + d[i]) >>> 0;
                return c.dataset.map + ':' + h; }"""
            )

        seen = [pixels()]
        page.screenshot(path=str(tmp_path / "explorer_one_map.png"))
        second = page.locator("#image-list li").nth(1)
        second.click()
        renders = _wait_render(page, renders)
        seen.append(pixels())
        for control, value in (("#arch", "random_lite0"), ("#method", "mpm"), ("#variant", "seed 1")):
            page.select_option(control, value)
            renders = _wait_render(page, renders)
            seen.append(pixels())
        assert len(set(seen)) == len(seen), seen  # each change drew a different map
        assert seen[-1].startswith("mpm|") and "|random_lite0|seed 1:" in seen[-1]
        page.select_option("#view", "seeds")
        renders = _wait_render(page, renders)
        panels = page.eval_on_selector_all("#panels canvas", "cs => cs.map(c => c.dataset.map)")
        seeds = [p for p in panels if "|seed " in p]
        assert len(seeds) == TINY_CONFIG["training"]["seeds"] and len(set(seeds)) == len(seeds)
        page.screenshot(path=str(tmp_path / "explorer_seed_grid.png"))
        page.select_option("#view", "compare")
        renders = _wait_render(page, renders)
        page.screenshot(path=str(tmp_path / "explorer_compare.png"))
        shared = page.url
        assert "view=compare" in shared and "method=mpm" in shared
        restored = browser.new_page()
        restored.on("pageerror", lambda exc: errors.append(str(exc)))
        restored.goto(shared)
        _wait_render(restored, 0)
        assert restored.eval_on_selector("#view", "s => s.value") == "compare"
        assert restored.eval_on_selector("#method", "s => s.value") == "mpm"
        browser.close()
    assert errors == []
    print("screenshots:", *sorted(p.name for p in tmp_path.glob("*.png")))
    assert all((tmp_path / name).stat().st_size > 10_000 for name in ("explorer_one_map.png", "explorer_seed_grid.png"))


def _wait_render(page, after: int) -> int:
    """Wait until the page has drawn more than ``after`` times; the new count."""
    page.wait_for_function(f"Number(document.body.dataset.renders || 0) > {after}", timeout=20_000)
    return int(page.evaluate("document.body.dataset.renders"))
