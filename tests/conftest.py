"""Shared fixtures: repository paths, tiny datasets on disk, and a real snakemake runner."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
AIGC_TABLE = REPO / "data" / "aigciqa2023" / "AIGCIQA2023.csv"
AIGC_COMBOS = REPO / "data" / "aigciqa2023" / "excluded_prompt_combos.csv"
SNAKEMAKE = Path(sys.executable).with_name("snakemake")

#: The tiny planted-cue study the workflow tests run (seconds, not minutes): 80 images, 2 archs.
TINY_CONFIG = {
    "seed": 0,
    "dataset": {"kind": "synthetic", "root": "results/synthetic"},
    "synthetic": {"n_images": 80, "image_size": 64, "seed": 3, "n_raters": 12},
    "psychometrics": {"n_splits": 5, "subset": "kept"},
    "models": {"archs": ["efficientnet_lite0", "random_lite0"], "resize": 64, "crop": 64, "batch_size": 16},
    "training": {"seeds": 2, "max_epochs": 30, "patience": 5},
    "pruning": {"max_steps": 3},
    "attribution": {
        "n_images": 2,
        "n_train_images": 2,
        "n_ensemble_images": 2,
        "threads": 1,
        "images_per_job": 3,  # test regime: a 3-image job mixing test and training images + a 1-image job
        "mpm": {"patch_sizes": [3, 17], "stride": 16, "batch_size": 32},
        "lime": {"n_segments": 30, "num_samples": 40, "seed": 0, "batch_size": 40},
    },
}


def run_snakemake(
    workdir: Path, *args: str, check: bool = True, timeout: int = 600, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run the repo's Snakefile with ``workdir`` as working directory (its config/config.yaml);
    ``env`` adds environment variables."""
    cmd = [str(SNAKEMAKE), "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir), "--cores", "2", *args]
    env = {**os.environ, "MPLBACKEND": "Agg", **(env or {})}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def make_workdir(path: Path, config: dict) -> Path:
    """A working directory with ``config/config.yaml`` and the shipped AIGCIQA2023 files."""
    (path / "config").mkdir(parents=True, exist_ok=True)
    (path / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    shutil.copytree(REPO / "data" / "aigciqa2023", path / "data" / "aigciqa2023", dirs_exist_ok=True)
    return path


def paper_workdir(path: Path) -> Path:
    """A working directory with the paper's config (config/aigciqa2023.yaml) and a tiny stand-in
    image for every image of the real AIGCIQA2023 table: its complete DAG without the release."""
    cfg = yaml.safe_load((REPO / "config" / "aigciqa2023.yaml").read_text())
    work = make_workdir(path, cfg)
    release = work / cfg["dataset"]["root"] / cfg["dataset"]["image_dir"]
    release.mkdir(parents=True)
    pixel = Image.new("RGB", (8, 8), (128, 96, 64))
    for name in pd.read_csv(work / cfg["dataset"]["table"])["name"]:
        pixel.save(release / name)
    return work


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """One complete local run of the pipeline on the tiny planted-cue study."""
    work = make_workdir(tmp_path_factory.mktemp("tiny") / "work", TINY_CONFIG)
    proc = run_snakemake(work)
    return work, proc


@pytest.fixture
def tiny_workdir(tmp_path: Path) -> Path:
    return make_workdir(tmp_path / "work", TINY_CONFIG)


def write_table_dataset(root: Path, n_images: int = 8, n_raters: int = 6, seed: int = 0) -> dict:
    """A small ``kind: table`` dataset on disk: PNG images, images.csv and raw ratings.csv.

    Returns the ``dataset`` config block (paths relative to ``root.parent``).
    """
    rng = np.random.default_rng(seed)
    (root / "img").mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n_images):
        Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(root / "img" / f"im{i}.png")
        rows.append(
            {
                "id": f"im{i}",
                "file": f"img/im{i}.png",
                "category": "People" if i % 2 else "Animals",
                "challenge": "Basic" if i % 3 else "Imagination",
            }
        )
    ratings = [
        {"participant": f"r{p}", "id": f"im{i}", "dimension": dim, "score": int(rng.integers(1, 6))}
        for p in range(n_raters)
        for i in range(n_images)
        for dim in ("quality", "authenticity")
    ]
    return _table_files(root, rows, ratings, exclusion={"combos": [["Animals", "Imagination"]]})


def _table_files(root: Path, images: list[dict], ratings: list[dict], **extra) -> dict:
    """Write ``images.csv`` and ``ratings.csv`` under ``root``; the ``dataset`` block reading them."""
    pd.DataFrame(images).to_csv(root / "images.csv", index=False)
    pd.DataFrame(ratings).to_csv(root / "ratings.csv", index=False)
    return {
        "kind": "table",
        "root": root.name,
        "images": "images.csv",
        "ratings": "ratings.csv",
        "columns": {"image_id": "id", "path": "file", "rating": "score"},
        **extra,
    }


@pytest.fixture(scope="session")
def aigc_metadata():
    """The real AIGCIQA2023 table through the adapter (MOS only, no images)."""
    from authxai.data.adapters import load_metadata

    spec = {
        "kind": "aigciqa2023",
        "root": "data/aigciqa2023/release",
        "table": str(AIGC_TABLE),
        "exclusion": {"combos_file": str(AIGC_COMBOS)},
    }
    return load_metadata(spec, REPO)


def write_photo_dataset(root: Path, n_images: int = 24, size: int = 224, n_raters: int = 8, seed: int = 0) -> dict:
    """A ``kind: table`` dataset of real ``size``-px photo crops (the photos that ship with
    scikit-image, scikit-learn and matplotlib) with raw ratings whose authenticity follows the
    crop's brightness plus rater noise. Returns the ``dataset`` config block."""
    from authxai.data.synthetic import source_photos

    rng = np.random.default_rng(seed)
    photos = source_photos()
    (root / "img").mkdir(parents=True, exist_ok=True)
    rows, latent = [], []
    for i in range(n_images):
        photo = photos[i % len(photos)]
        h, w = photo.shape[:2]
        side = min(h, w, max(size, int(min(h, w) * rng.uniform(0.5, 1.0))))
        y0, x0 = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
        crop = Image.fromarray((photo[y0 : y0 + side, x0 : x0 + side] * 255).astype(np.uint8)).resize((size, size))
        crop.save(root / "img" / f"p{i:02d}.png")
        latent.append(np.asarray(crop, np.float32).mean() / 255)
        rows.append({"id": f"p{i:02d}", "file": f"img/p{i:02d}.png", "category": "Photo", "challenge": "Basic"})
    latent = (np.asarray(latent) - np.mean(latent)) / np.std(latent)
    ratings = [
        {"participant": f"r{p}", "id": f"p{i:02d}", "dimension": dim, "score": score}
        for p in range(n_raters)
        for i in range(n_images)
        for dim in ("quality", "authenticity")
        for score in [int(np.clip(np.round(3 + latent[i] + rng.normal(0, 0.8)), 1, 5))]
    ]
    return _table_files(root, rows, ratings)


def calibrated_random_state_dict(arch: str, images, seed: int = 0) -> dict:
    """Random-init weights of a registered backbone whose BatchNorm running statistics are set
    from ``images`` (one train-mode forward with cumulative averaging), as pretrained weights
    have them: without this, random ResNet-152 activations reach ~1e8 and EfficientNet-B3's
    vanish (~1e-13)."""
    import torch

    from authxai.models.backbones import calibrate_batchnorm, get_spec

    torch.manual_seed(seed)
    model = calibrate_batchnorm(get_spec(arch).build(), images)
    return {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
