"""Bad input, through the real workflow: every case stops with one line naming the file or key
and what to fix, leaves no finished-looking output, and writes nothing outside results/.

docs/checks.md is this table. Each case edits a fresh ``kind: table``
dataset of 30 images (25 kept) or its config, runs snakemake (a dry run where the check happens
before any job, else the data stage) and reads the one line.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from PIL import Image

from authxai.data.adapters import open_rgb
from authxai.data.geometry import model_view
from authxai.errors import exception_summary
from authxai.tables import read_parquet
from conftest import REPO, TINY_CONFIG, make_workdir, run_snakemake, write_table_dataset

pytestmark = pytest.mark.workflow

N_IMAGES = 30  # 5 are Animals x Imagination, excluded: 25 kept, enough for every split role


@dataclass(frozen=True)
class Case:
    """``edit(work)`` breaks something; the run prints one line holding every string of ``line``."""

    edit: Callable[[Path], None]
    line: tuple[str, ...]
    stage: str = "parse"  # "parse": `snakemake -n` stops; "data": the data stage stops


def _csv(name: str, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path], None]:
    def edit(work: Path) -> None:
        path = work / "lab" / name
        fn(pd.read_csv(path, dtype=object)).to_csv(path, index=False)

    return edit


def _cell(name: str, row: int, col: str, value) -> Callable[[Path], None]:
    def fn(df):
        df.loc[row, col] = value
        return df

    return _csv(name, fn)


def _config(**changes) -> Callable[[Path], None]:
    """Set dotted config keys, e.g. ``_config(**{"models.crop": 300})``."""

    def edit(work: Path) -> None:
        path = work / "config" / "config.yaml"
        cfg = yaml.safe_load(path.read_text())
        for dotted, value in changes.items():
            *parents, key = dotted.split(".")
            node = cfg
            for part in parents:
                node = node.setdefault(part, {})
            node[key] = value
        path.write_text(yaml.safe_dump(cfg))

    return edit


def _image(name: str, make: Callable[[Path], None]) -> Callable[[Path], None]:
    def edit(work: Path) -> None:
        path = work / "lab" / "img" / name
        path.unlink()
        make(path)

    return edit


def _symlink_out(work: Path) -> None:
    (work / "secret.png").write_bytes((work / "lab" / "img" / "im1.png").read_bytes())
    (work / "lab" / "img" / "im1.png").unlink()
    (work / "lab" / "img" / "im1.png").symlink_to(work / "secret.png")


def _bomb(side: int) -> Callable[[Path], None]:
    """A 1-bit PNG of side^2 pixels (a few kB): Pillow warns above 89.5 M pixels and raises above
    twice that; 10,000^2 is in between, 14,000^2 above."""
    return lambda path: Image.new("1", (side, side)).save(path)


def _to_parquet(work: Path, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    df = fn(pd.read_csv(work / "lab" / "ratings.csv"))
    df.to_parquet(work / "lab" / "ratings.parquet")
    _config(**{"dataset.ratings": "ratings.parquet"})(work)


def _blank_line_before(work: Path, row: int) -> None:
    path = work / "lab" / "ratings.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[: row + 1] + ["\n"] + lines[row + 1 :]))


def _aigc_bad_name(work: Path) -> None:
    table = pd.read_csv(work / "data" / "aigciqa2023" / "AIGCIQA2023.csv", dtype=object)
    table.loc[10, "name"] = "ten.png"
    table.to_csv(work / "aigc.csv", index=False)
    _config(dataset={"kind": "aigciqa2023", "table": "aigc.csv"})(work)


def _pickled_weights(work: Path) -> None:
    class RunsCode:
        def __reduce__(self):
            return (os.system, (f"touch {work / 'PWNED'}",))

    torch.save({"conv_stem.weight": torch.zeros(1), "x": RunsCode()}, work / "evil.pth")
    _config(**{"models.weights": {"efficientnet_lite0": str(work / "evil.pth")}})(work)


ID_HELP = "image ids name result files"
CASES = {
    # --- issue 16: what used to slip through or fail late -------------------------------
    "id climbing out of results": Case(_cell("images.csv", 3, "id", "../../../outside/im3"), (ID_HELP, "'id'")),
    "id with a slash": Case(_cell("images.csv", 3, "id", "sub/im3"), (ID_HELP, "line 5")),
    "id with parentheses": Case(_cell("images.csv", 3, "id", "im (3)"), (ID_HELP,)),
    "id with a plus": Case(_cell("images.csv", 3, "id", "im+3"), (ID_HELP,)),
    "ratings without variance": Case(
        _csv("ratings.csv", lambda df: df.assign(score="3")), ("same authenticity MOS", "nothing to predict")
    ),
    "2 images": Case(lambda w: _shrink(w, 2), ("1 of 2 images are kept", "any 21 or more kept images work")),
    "10 images": Case(
        lambda w: _shrink(w, 10), ("8 of 10 images are kept", "any 21 or more kept images work", "test set")
    ),
    "exclusion removes everything": Case(
        _config(
            **{"dataset.exclusion.combos": [[c, h] for c in ("People", "Animals") for h in ("Basic", "Imagination")]}
        ),
        ("all 30 images are excluded", "dataset.exclusion"),
    ),
    "ratings with only a header": Case(_csv("ratings.csv", lambda df: df.head(0)), ("no data rows", "ratings.csv")),
    "parquet ratings without rows": Case(lambda w: _to_parquet(w, lambda df: df.head(0)), ("no data rows", ".parquet")),
    "parquet rows are counted from 1": Case(
        lambda w: _to_parquet(w, lambda df: df.assign(score=df["score"].where(df.index != 5))),
        ("column 'score' row 6 is empty/NaN", "ratings.parquet"),
    ),
    "blank lines counted in line numbers": Case(
        lambda w: _cell("ratings.csv", 5, "score", "good")(w) or _blank_line_before(w, 5), ("column 'score' line 8",)
    ),
    "a single participant on one dimension": Case(
        _csv("ratings.csv", lambda df: df[(df["dimension"] == "authenticity") | (df["participant"] == "r0")]),
        ("quality ratings from 1 participant", "at least 2"),
    ),
    "ids differing only in case": Case(_cell("images.csv", 3, "id", "IM2"), ("duplicate value 'IM2'", "ignoring case")),
    "exclusion without category columns": Case(
        _csv("images.csv", lambda df: df.drop(columns=["category", "challenge"])),
        ("images.csv: no 'category' column", "remove dataset.exclusion"),
    ),
    "aigciqa2023 table lines": Case(_aigc_bad_name, ("column 'name' line 12 = 'ten.png'", "aigc.csv")),
    "a single participant": Case(
        _csv("ratings.csv", lambda df: df[df["participant"] == "r0"]),
        ("authenticity ratings from 1 participant", "at least 2"),
    ),
    "sanity variant not trained": Case(
        _config(**{"training.seeds": 2, "sanity.variant": 2}), ("'sanity.variant' = 2", "0..1")
    ),
    "crop larger than resize": Case(
        _config(**{"models.crop": 300}), ("'models.crop' = 300 is larger than models.resize = 256", "crop <= resize")
    ),
    "crop larger than resize in an override": Case(
        _config(**{"models.overrides": {"efficientnet_lite0": {"crop": 300}}}),
        ("'models.overrides.efficientnet_lite0.crop' = 300",),
    ),
    "embedded study pointed at another root": Case(
        _config(**{"dataset": {"kind": "synthetic", "root": "lab"}}), ("'dataset.root' = 'lab'", "results/synthetic")
    ),
    "the embedded study's exclusion list on a table dataset": Case(
        _config(**{"dataset.exclusion": {"combos_file": "results/synthetic/excluded_combos.csv"}}),
        ("'dataset.exclusion.combos_file'", "embedded study's exclusion list"),
    ),
    "override of an architecture not run": Case(
        _config(**{"models.overrides": {"vgg16": {"crop": 200}}}), ("'models.overrides.vgg16': not in models.archs",)
    ),
    "exclusion matching nothing": Case(
        _config(**{"dataset.exclusion.combos": [["Animals", "Imagnation"]]}),
        ("'dataset.exclusion.combos' entry 0", "'Imagnation'", "matches no image"),
    ),
    "exclusion file matching nothing": Case(
        lambda w: (
            (w / "lab" / "combos.csv").write_text("Category,Challenge\nAnimals,Imagination\nPeople,Fantasy\n"),
            _config(**{"dataset.exclusion": {"combos_file": "lab/combos.csv"}})(w),
        ),
        ("combos.csv (line 3)", "'Fantasy'", "matches no image"),
    ),
    "row numbers are file lines": Case(
        _cell("ratings.csv", 5, "score", np.nan), ("ratings.csv", "line 7", "empty/NaN")
    ),
    "renamed column named as the user wrote it": Case(
        _cell("ratings.csv", 5, "score", "good"), ("column 'score' line 7", "not a number")
    ),
    "renamed column missing": Case(_csv("images.csv", lambda df: df.drop(columns="file")), ("missing column 'file'",)),
    "image without authenticity ratings": Case(
        _csv("ratings.csv", lambda df: df[~((df["id"] == "im4") & (df["dimension"] == "authenticity"))]),
        ("ratings.csv: no authenticity rating of image 'im4'", "images.csv, line 6"),
    ),
    "reversed rating scale": Case(_config(**{"dataset.rating_scale": [5, 1]}), ("'dataset.rating_scale' = [5, 1]",)),
    "image too large for Pillow": Case(_image("im2.png", _bomb(14_000)), ("decompression-bomb", "im2.png"), "data"),
    "image over Pillow's limit, under twice it": Case(
        _image("im2.png", _bomb(10_000)), ("decompression-bomb limit of 89,478,485", "im2.png"), "data"
    ),
    "FIFO in place of an image": Case(
        _image("im2.png", lambda p: os.mkfifo(p)), ("not a regular file", "im2.png"), "data"
    ),
    # --- what already held ------------------------------------------------------------
    "missing column": Case(
        _csv("ratings.csv", lambda df: df.drop(columns="participant")), ("missing column 'participant'", "ratings.csv")
    ),
    "duplicate image id": Case(_cell("images.csv", 3, "id", "im2"), ("duplicate value 'im2'", "line 5")),
    "path climbing out of the root": Case(
        _cell("images.csv", 1, "file", "../../etc/passwd"), ("outside the data root",)
    ),
    "absolute path": Case(_cell("images.csv", 1, "file", "/etc/passwd"), ("outside the data root",)),
    "symlink out of the root": Case(_symlink_out, ("outside the data root", "im1.png")),
    "rating outside the scale": Case(
        _cell("ratings.csv", 5, "score", "7"), ("line 7", "outside the rating scale [1, 5]")
    ),
    "unknown dimension": Case(_cell("ratings.csv", 5, "dimension", "beauty"), ("'beauty' is not allowed",)),
    "rating of an unknown image": Case(_cell("ratings.csv", 5, "id", "ghost"), ("'ghost', which is not in the image",)),
    "duplicate rating": Case(_cell("ratings.csv", 3, "dimension", "quality"), ("line 5 repeats participant",)),
    "unreadable table": Case(
        lambda w: (w / "lab" / "images.csv").write_bytes(b"\xff\xfe\x00bad"), ("not a readable table", "images.csv")
    ),
    "unknown config key": Case(_config(**{"training.seedz": 3}), ("'training.seedz' is not a known setting",)),
    "wrong config type": Case(_config(**{"training.seeds": "ten"}), ("'training.seeds' = 'ten'",)),
    "weights file missing": Case(
        _config(**{"models.weights": {"efficientnet_lite0": "nowhere/lite0.pth"}}), ("nowhere/lite0.pth not found",)
    ),
    "weights entry for another architecture": Case(
        _config(**{"models.weights": {"resnet-152": "x.pth"}}), ("'models.weights.resnet-152': not in models.archs",)
    ),
    "missing image": Case(lambda w: (w / "lab" / "img" / "im4.png").unlink(), ("im4.png: image not found",), "data"),
    "corrupt image": Case(
        _image("im5.png", lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n no")),
        ("corrupt or unreadable", "im5.png"),
        "data",
    ),
    "zero-byte image": Case(
        _image("im5.png", lambda p: p.write_bytes(b"")), ("corrupt or unreadable", "im5.png"), "data"
    ),
}


def _shrink(work: Path, n: int) -> None:
    _csv("images.csv", lambda df: df.head(n))(work)
    _csv("ratings.csv", lambda df: df[df["id"].isin([f"im{i}" for i in range(n)])])(work)


def lab_workdir(path: Path, **config) -> Path:
    """A working directory whose config reads a 30-image ``kind: table`` dataset under ``lab/``."""
    path.mkdir(parents=True)
    spec = write_table_dataset(path / "lab", n_images=N_IMAGES)
    return make_workdir(path, {"dataset": spec, **config})


def _files_outside_results(work: Path) -> set[Path]:
    ignored = {work / "results", work / ".snakemake"}
    return {p for p in work.rglob("*") if not any(p == d or d in p.parents for d in ignored)}


def _one_line(proc, needle: str) -> str:
    assert proc.returncode != 0, proc.stdout[-2000:]
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr[-3000:]
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if needle in ln]
    assert len(lines) == 1, (needle, proc.stdout[-3000:], proc.stderr[-3000:])
    return lines[0]


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_stops_with_one_line(tmp_path, name):
    case = CASES[name]
    work = lab_workdir(tmp_path / "work")
    case.edit(work)
    before = _files_outside_results(work)
    args = ("-n",) if case.stage == "parse" else ("results/data/images.parquet",)
    proc = run_snakemake(work, *args, check=False, timeout=120)
    line = _one_line(proc, case.line[0])
    for expected in case.line[1:]:
        assert expected in line, line
    assert _files_outside_results(work) == before  # nothing written outside results/
    if case.stage == "parse":
        assert not (work / "results").exists()
    else:
        assert not (work / "results" / "data" / "images.parquet").exists()
        assert not list((work / "results").rglob("*.part"))
    assert not (tmp_path / "outside").exists()


def test_a_pickled_checkpoint_is_refused_and_nothing_in_it_runs(tmp_path):
    work = lab_workdir(tmp_path / "work", models={"archs": ["efficientnet_lite0"], "resize": 32, "crop": 32})
    _pickled_weights(work)
    proc = run_snakemake(work, "results/features/efficientnet_lite0.safetensors", check=False)
    line = _one_line(proc, "holds pickled Python objects")
    assert "evil.pth" in line and "nothing in it was run" in line
    assert not (work / "PWNED").exists()
    assert not (work / "results" / "features" / "efficientnet_lite0.safetensors").exists()


def test_a_users_config_file_replaces_the_embedded_config(tmp_path):
    """Snakemake merges --configfile into config/config.yaml; the embedded study's exclusion file
    (left behind by `make run`) must not apply to a user's table dataset."""
    embedded = yaml.safe_load((REPO / "config" / "config.yaml").read_text())  # names its exclusion file
    work = make_workdir(tmp_path / "work", embedded)
    spec = write_table_dataset(work / "lab", n_images=N_IMAGES)
    spec.pop("exclusion")  # the user excludes nothing
    (work / "results" / "synthetic").mkdir(parents=True)
    (work / "results" / "synthetic" / "excluded_combos.csv").write_text("Category,Challenge\nPeople,Basic\n")
    (work / "mine.yaml").write_text(yaml.safe_dump({"dataset": spec}))
    mine = str(work / "mine.yaml")
    run_snakemake(work, "results/data/metadata.parquet", "--configfile", mine)
    images = read_parquet(work / "results" / "data" / "metadata.parquet")
    assert len(images) == N_IMAGES and images["kept"].all()
    # and the defaults it leaves out are the schema's, not the embedded study's
    assert "efficientnet_lite2" in run_snakemake(work, "-n", "--configfile", mine).stdout


def test_replacing_or_deleting_an_image_after_a_run_is_not_stale(tmp_path):
    work = lab_workdir(tmp_path / "work")
    old_umask = os.umask(0o002)  # a lab group sharing results/
    try:
        run_snakemake(work, "results/data/images.parquet")
    finally:
        os.umask(old_umask)
    table = work / "results" / "data" / "images.parquet"
    assert stat.S_IMODE(table.stat().st_mode) == 0o664  # not mkstemp's 0600
    assert read_parquet(table).set_index("image_id").loc["im3", "width"] == 16
    again = run_snakemake(work, "results/data/images.parquet")
    assert "Nothing to be done" in again.stdout + again.stderr
    Image.new("RGB", (40, 24)).save(work / "lab" / "img" / "im3.png")  # replaced
    run_snakemake(work, "results/data/images.parquet")
    assert read_parquet(table).set_index("image_id").loc["im3", "width"] == 40
    (work / "lab" / "img" / "im5.png").unlink()  # deleted
    _one_line(run_snakemake(work, "results/data/images.parquet", check=False), "im5.png: image not found")


def test_a_new_checkpoint_at_the_same_path_reruns_what_was_built_on_it(tmp_path):
    from safetensors.torch import load_file, save_file

    from authxai.models.backbones import build_backbone

    state = {k: v.contiguous() for k, v in build_backbone("efficientnet_lite0").state_dict().items()}
    work = tmp_path / "work"
    weights = work / "lite0.safetensors"
    save_file(state, str(tmp_path / "lite0.safetensors"))
    models = {
        "archs": ["efficientnet_lite0"],
        "resize": 32,
        "crop": 32,
        "weights": {"efficientnet_lite0": str(weights)},
    }
    lab_workdir(work, models=models)
    (tmp_path / "lite0.safetensors").rename(weights)
    target = "results/features/efficientnet_lite0.safetensors"
    run_snakemake(work, target)
    before = load_file(str(work / target))["embedding"]
    save_file({**state, "conv_head.weight": state["conv_head.weight"] * 2}, str(weights))  # fine-tuned, same path
    assert "extract_features" in run_snakemake(work, target, "-n").stdout
    run_snakemake(work, target)
    assert not torch.equal(load_file(str(work / target))["embedding"], before)


@pytest.mark.slow  # a second run of the tiny study's first stages, at --cores 1
def test_numbers_do_not_depend_on_cores(tiny_run, tmp_path):
    """Snakemake scales a job's threads down to --cores; torch's thread count must not follow."""
    work_2, _ = tiny_run  # ran with --cores 2
    work_1 = make_workdir(tmp_path / "work", TINY_CONFIG)
    targets = ["results/features/efficientnet_lite0.safetensors", "results/evaluation/efficientnet_lite0.parquet"]
    run_snakemake(work_1, *targets, "--cores", "1")
    from safetensors.torch import load_file

    one, two = (load_file(str(w / targets[0])) for w in (work_1, work_2))
    for key in two:
        assert torch.equal(one[key], two[key]), key
    pd.testing.assert_frame_equal(read_parquet(work_1 / targets[1]), read_parquet(work_2 / targets[1]))


def test_16_bit_images_are_scaled_not_clipped(tmp_path):
    ramp = np.linspace(0, 65535, 32 * 32).reshape(32, 32).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "grey16.png")
    assert Image.open(tmp_path / "grey16.png").mode.startswith("I;16")
    rgb = np.asarray(open_rgb(tmp_path / "grey16.png"))
    expected = np.rint(ramp / 257.0)  # 65535 -> 255: an independent 16-to-8-bit scaling
    for channel in range(3):
        np.testing.assert_array_equal(rgb[..., channel], expected)
    assert rgb.mean() == pytest.approx(127.5, abs=0.6)  # convert("RGB") gave ~254 (white)
    assert np.asarray(model_view(tmp_path / "grey16.png", 32, 32)).mean() == pytest.approx(127.5, abs=0.6)


def test_floating_point_images_are_refused_with_one_line(tmp_path):
    Image.fromarray(np.ones((8, 8), np.float32)).save(tmp_path / "float.tiff")
    with pytest.raises(Exception, match="float.tiff: floating-point image"):
        open_rgb(tmp_path / "float.tiff")


def test_exception_summaries_end_at_a_word():
    summary = exception_summary(ValueError("Weights only load failed. " + "word " * 60))
    assert summary == "ValueError: Weights only load failed"
    long = exception_summary(ValueError("abcdefgh " * 30), limit=40)
    assert long.endswith("abcdefgh …") and len(long) < 70


def test_outputs_outside_results_are_found():
    from authxai.workflow import outside_results

    paths = ["results/a/b.parquet", "results/../x.parquet", "results_old/y", "/tmp/z", "results/./c"]
    assert outside_results(paths) == ["results/../x.parquet", "results_old/y", "/tmp/z"]


def test_a_table_without_category_columns_and_no_exclusion_is_fine(tmp_path):
    work = lab_workdir(tmp_path / "work")
    _csv("images.csv", lambda df: df.drop(columns=["category", "challenge"]))(work)
    _config(**{"dataset.exclusion": {}})(work)
    run_snakemake(work, "results/data/metadata.parquet")
    assert read_parquet(work / "results" / "data" / "metadata.parquet")["kept"].all()
