"""The paper's six backbones through every rule of the DAG on a small ``kind: table`` dataset of
224-px photos, with their weights given only through ``models.weights`` (random-init state dicts
with BatchNorm statistics set from a few photos; nothing in the torch hub cache)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from conftest import calibrated_random_state_dict, make_workdir, run_snakemake, write_photo_dataset

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

PAPER_ARCHS = ["vgg16", "vgg19", "resnet152", "densenet161", "efficientnet_b3", "barlowtwins_resnet50"]
#: Rules that only the embedded planted-cue study has (it renders its images and knows its cues).
EMBEDDED_ONLY = {
    "synthesize_study",
    "localization",
    "table_localization",
    "counterfactual",
    "counterfactual_agreement",
    "table_counterfactual",
}
#: Rules a run makes only when asked by name (`snakemake download_weights` needs the internet;
#: tests/test_download_weights.py runs it against a local server).
ON_REQUEST = {"download_weights"}


def _config(dataset: dict, weights: dict[str, str]) -> dict:
    """The paper configuration's structure at CI size: 2 seeds, coarse MPM, few LIME samples."""
    return {
        "seed": 0,
        "dataset": dataset,
        "psychometrics": {"n_splits": 3},
        "models": {"archs": PAPER_ARCHS, "weights": weights, "resize": 256, "crop": 224, "batch_size": 8},
        "training": {"seeds": 2, "max_epochs": 8, "patience": 3},
        "pruning": {"max_steps": 2},
        "attribution": {
            "n_images": 2,
            "n_train_images": 1,
            "n_ensemble_images": 1,
            "threads": 1,
            # Jobs of several images (the paper config has one): start-up and loading a paper
            # backbone are most of a job at this size; test_workflow checks chunks give equal maps.
            "images_per_job": 4,
            "mpm": {"patch_sizes": [17, 65], "stride": 112, "batch_size": 16},
            "lime": {"n_segments": 12, "num_samples": 12, "batch_size": 12},
        },
        "consistency": {"prototype_seeds": {"mpm": [0]}},  # as the paper config (+ all-variant extra)
        "sanity": {"cascade": [1]},
        "faithfulness": {"steps": 2, "batch_size": 16},
        "uncertainty": {"n_boot": 100},
    }


@pytest.fixture(scope="module")
def paper_run(tmp_path_factory):
    from authxai.models.features import load_images

    base = tmp_path_factory.mktemp("paper")
    work = base / "work"
    dataset = write_photo_dataset(work / "photos", n_images=24)
    calibration = load_images(sorted((work / "photos" / "img").glob("*.png"))[:6], resize=256, crop=224)
    weights_dir = base / "weights"  # outside the working directory and the hub cache
    weights_dir.mkdir()
    weights = {}
    for k, arch in enumerate(PAPER_ARCHS):
        from safetensors.torch import save_file

        path = weights_dir / f"{arch}.safetensors"
        save_file(calibrated_random_state_dict(arch, calibration, seed=k), str(path))
        weights[arch] = str(path)
    make_workdir(work, _config(dataset, weights))
    empty_hub = base / "torch_home"  # the default weights cache holds nothing
    env = {"TORCH_HOME": str(empty_hub)}
    listed = run_snakemake(work, "--list-rules", env=env).stdout
    rules = set(re.findall(r"^([a-z0-9_]+)(?: \(|$)", listed, flags=re.M))  # name (docstring)
    proc = run_snakemake(work, env=env, timeout=1800)
    return work, weights, rules, proc.stdout + proc.stderr


def _job_counts(out: str) -> dict[str, int]:
    table = out.split("Job stats:")[1].split("\n\n")[0]
    return {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", table, flags=re.M) if rule != "total"}


def test_every_rule_runs_on_the_six_paper_backbones(paper_run):
    work, _, rules, log = paper_run
    ran = set(_job_counts(log))
    missing = rules - EMBEDDED_ONLY - ON_REQUEST - ran
    assert ran <= rules and not missing, sorted(missing)
    hub = work.parent / "torch_home"
    assert not hub.exists() or not [p for p in hub.rglob("*") if p.is_file()]  # nothing came from a cache


def test_every_table_has_a_row_per_architecture(paper_run):
    work, _, _, _ = paper_run
    tables = sorted((work / "results" / "tables").glob("*.csv"))
    with_arch = []
    for path in tables:
        table = pd.read_csv(path)
        column = next((c for c in ("arch", "model") if c in table.columns), None)
        if column is None:
            continue
        with_arch.append(path.stem)
        assert set(PAPER_ARCHS) <= set(table[column].astype(str)), (path.name, sorted(set(table[column])))
    for stem in ("table2_performance", "table4_within_gradcam", "table5_within_lime", "table7_ensembles"):
        assert stem in with_arch, stem
    card = pd.read_csv(work / "results" / "tables" / "table9_scorecard.csv")
    assert len(card) == 3 * len(PAPER_ARCHS) and card["within_r_mean"].notna().all()


def test_every_figure_is_drawn_per_architecture(paper_run):
    work, _, _, _ = paper_run
    figures = work / "results" / "figures"
    expected = [f"fig_pred_vs_obs_{a}" for a in PAPER_ARCHS] + [f"fig_examples_{a}" for a in PAPER_ARCHS]
    expected += ["fig2_psychometrics", "fig3_across_arch", "fig4_across_examples", "fig5_ensemble_maps"]
    expected += ["fig7_sanity_checks", "fig8_faithfulness", "figA2_lime_tessellation"]
    for name in expected:
        with Image.open(figures / f"{name}.png") as im:
            pixels = np.asarray(im.convert("L"), np.float32)
        assert pixels.std() > 10, name  # drawn, not blank
        assert (figures / f"{name}.pdf").stat().st_size > 5_000


def test_features_and_variants_use_the_configured_weights(paper_run):
    """The cache equals the trunk built from the weights file; the pruned variants' predictions
    equal the tail (same file) + head + SBS mask, recomputed here."""
    from authxai.attribution.variants import cached_variant_outputs
    from authxai.models.backbones import build_backbone, on_device, split_backbone
    from authxai.models.features import load_features, load_image
    from authxai.models.heads import load_head
    from authxai.pruning import load_pruning

    work, weights, _, _ = paper_run
    res = work / "results"
    images = pd.read_parquet(res / "data" / "images.parquet").set_index("image_id")
    for arch in ("resnet152", "efficientnet_b3"):
        tensors, ids, _ = load_features(res / "features" / f"{arch}.safetensors")
        assert tensors["act"].dtype == torch.float32 and torch.isfinite(tensors["act"]).all()
        # the pipeline's layout and thread count (extract_features computes with one thread):
        # channels-last or another thread count changes the float32 summation order, which
        # 150 layers of ResNet-152 amplify to ~1e-3 of the activations' scale
        trunk, tail = split_backbone(on_device(build_backbone(arch, weights[arch]), "cpu"), arch)
        x = load_image(work / "photos" / images.loc[ids[0], "path"], 256, 224)[None]
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with torch.no_grad():
                act = trunk(x).act
        finally:
            torch.set_num_threads(threads)
        torch.testing.assert_close(tensors["act"][:1], act, rtol=1e-4, atol=1e-4 * float(act.abs().max()))
        assert float(tensors["embedding"].std()) > 1e-3  # calibrated BatchNorm: features carry signal
        record = load_pruning(res / "pruning" / "test" / arch / "seed1.json")
        head = load_head(res / "models" / "exp12" / arch / "seed1" / "head.safetensors")
        pred, _ = cached_variant_outputs(tensors["act"], tensors.get("aux"), tail, head, record["mask"])
        variants = pd.read_parquet(res / "variants" / "test" / f"{arch}.parquet")
        got = variants[variants["seed"] == 1].set_index("image_id").loc[ids, "y_hat"].to_numpy()
        np.testing.assert_allclose(got, pred.numpy(), rtol=1e-5, atol=1e-4)


def test_lime_draws_its_own_perturbations_per_variant(paper_run):
    work, _, _, _ = paper_run
    lime_dir = work / "results" / "attributions" / "lime"
    seeds, rows = set(), 0
    for path in lime_dir.rglob("*.parquet"):
        table = pd.read_parquet(path)  # a job's chunk of images, 2 variants each
        assert table["perturbation_seed"].nunique() == len(table) == 2 * table["image_id"].nunique(), path
        seeds |= set(table["perturbation_seed"])
        rows += len(table)
        if "/val/" in str(path):  # one ensemble draw per image, shared by its variants
            assert (table.groupby("image_id")["ensemble_seed"].nunique() == 1).all()
            assert table["ensemble_seed"].nunique() == table["image_id"].nunique()
    assert len(seeds) == rows  # no two variants (of any image) share a draw
