"""Real snakemake runs: the tiny planted-cue study end to end, the real-data MOS summary,
dry runs, reruns (bad input through the workflow: test_bad_inputs.py)."""

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from authxai.attribution.methods import METHODS as METHOD_REGISTRY
from authxai.psychometrics import reliability_table
from authxai.tables import read_provenance
from conftest import REPO, SNAKEMAKE, TINY_CONFIG, make_workdir, paper_workdir, run_snakemake

pytestmark = pytest.mark.workflow


def test_tiny_run_produces_every_output(tiny_run):
    work, proc = tiny_run
    for name in ("fig2_psychometrics", "figA1_kept_vs_removed", "fig_pred_vs_obs_efficientnet_lite0"):
        for ext in ("pdf", "png"):
            path = work / "results" / "figures" / f"{name}.{ext}"
            assert path.stat().st_size > 10_000, path
        with Image.open(work / "results" / "figures" / f"{name}.png") as im:
            assert im.size[0] > 800
    assert (work / "results" / "tables" / "psychometrics.md").read_text().startswith("|")
    images = pd.read_parquet(work / "results" / "data" / "images.parquet")
    assert len(images) == 80 and set(images["width"]) == {64}
    assert images["cue_mask_path"].str.startswith("masks/").all()
    assert "rule prepare_data finished" in (work / "results" / "logs" / "prepare_data.log").read_text()


def test_experiment1_tables_equal_a_recomputation(tiny_run):
    from authxai.evaluation import regression_metrics
    from authxai.statistics import mean_pairwise_r

    work, _ = tiny_run
    table2 = pd.read_csv(work / "results" / "tables" / "table2_performance.csv").set_index("arch")
    assert list(table2.index) == ["efficientnet_lite0", "random_lite0"]
    pred = pd.read_parquet(work / "results" / "predictions" / "efficientnet_lite0.parquet")
    test = pred[pred["role"] == "test"]
    plcc = [regression_metrics(g["y"], g["y_hat"])["plcc"] for _, g in test.groupby("seed")]
    assert table2.loc["efficientnet_lite0", "plcc_mean"] == pytest.approx(np.mean(plcc))
    wide = test.pivot_table(index="seed", columns="image_id", values="y_hat").to_numpy()
    assert table2.loc["efficientnet_lite0", "model_reliability"] == pytest.approx(mean_pairwise_r(wide))
    # every variant was evaluated on the same fixed test set
    assert test.groupby("seed")["image_id"].apply(frozenset).nunique() == 1
    assert (work / "results" / "tables" / "table3_beyond_quality.md").exists()
    history = pd.read_parquet(work / "results" / "models" / "exp12" / "random_lite0" / "seed1" / "history.parquet")
    assert history["epoch"].max() <= 30


def test_feature_cache_equals_the_trunk_on_the_image(tiny_run):
    import torch

    from authxai.models.backbones import build_backbone, split_backbone
    from authxai.models.features import load_features, load_image

    work, _ = tiny_run
    tensors, ids, meta = load_features(work / "results" / "features" / "efficientnet_lite0.safetensors")
    assert meta["arch"] == "efficientnet_lite0" and tensors["act"].dtype == torch.float32
    images = pd.read_parquet(work / "results" / "data" / "images.parquet").set_index("image_id")
    assert ids == sorted(images.index[images["kept"]])
    trunk, tail = split_backbone(build_backbone("efficientnet_lite0"), "efficientnet_lite0")
    x = load_image(work / "results" / "synthetic" / images.loc[ids[3], "path"], 64, 64)[None]
    with torch.no_grad():
        act = trunk(x).act
        torch.testing.assert_close(tensors["act"][3:4], act, atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(tensors["embedding"][3:4], tail(act), atol=1e-4, rtol=1e-4)


METHODS = ("gradcam", "lime", "mpm")


def test_attributions_equal_the_public_api_on_the_pruned_variant(tiny_run):
    import torch

    from authxai.attribution.gradcam import gradcam
    from authxai.attribution.maps import map_array
    from authxai.attribution.mpm import mpm
    from authxai.attribution.variants import VariantModel
    from authxai.models.backbones import build_backbone, split_backbone
    from authxai.models.features import load_image
    from authxai.models.heads import load_head

    work, _ = tiny_run
    res = work / "results"
    tables = {m: _attribution_rows(res, m, "test", "efficientnet_lite0") for m in METHODS}
    images = sorted(set(tables["gradcam"]["image_id"]))
    assert len(images) == 4  # 2 explanation + 2 training-pool images
    image_id = images[0]
    rows = {m: table[table["image_id"] == image_id] for m, table in tables.items()}
    for table in rows.values():
        assert sorted(table["seed"]) == [0, 1] and (table["image_id"] == image_id).all()
    record = json.loads((res / "pruning" / "test" / "efficientnet_lite0" / "seed1.json").read_text())
    assert len(record["removed"]) <= 3 and len(record["kept"]) + len(record["removed"]) == 1280
    assert all(b < a for a, b in zip(record["rmse_path"], record["rmse_path"][1:]))
    model = build_backbone("efficientnet_lite0")
    trunk, tail = split_backbone(model, "efficientnet_lite0")
    mask = torch.ones(1280)
    mask[record["removed"]] = 0
    variant = VariantModel(
        trunk, tail, load_head(res / "models" / "exp12" / "efficientnet_lite0" / "seed1" / "head.safetensors"), mask
    ).eval()
    images = pd.read_parquet(res / "data" / "images.parquet").set_index("image_id")
    x = load_image(res / "synthetic" / images.loc[image_id, "path"], 64, 64)[None]
    gc = rows["gradcam"].set_index("seed").loc[1]
    np.testing.assert_allclose(map_array(gc), gradcam(variant, model.conv_head, x)[0].numpy(), atol=1e-4, rtol=1e-3)
    m = rows["mpm"].set_index("seed").loc[1]
    ref = mpm(variant, x, patch_sizes=(3, 17), stride=16)[0].numpy()
    np.testing.assert_allclose(map_array(m), ref.mean(axis=0), atol=1e-4, rtol=1e-3)
    assert 0 <= rows["lime"]["r2"].min() <= 1


def test_val_regime_prunes_experiment3_heads_on_their_own_validation_sets(tiny_run):
    from authxai.models.backbones import build_backbone, split_backbone
    from authxai.models.features import load_features, rows_for
    from authxai.models.heads import load_head
    from authxai.pruning import sbs_naive

    work, _ = tiny_run
    res = work / "results"
    splits = pd.read_parquet(res / "splits" / "splits.parquet")
    record = json.loads((res / "pruning" / "val" / "efficientnet_lite0" / "seed0.json").read_text())
    val = splits.query("experiment == 'exp3' and seed == 0 and role == 'val'")["image_id"].to_numpy()
    assert record["regime"] == "val" and record["n_images"] == len(val)
    # independent recomputation: the naive SBS on the Experiment 3 head and its validation images
    import torch

    tensors, ids, _ = load_features(res / "features" / "efficientnet_lite0.safetensors")
    images = pd.read_parquet(res / "data" / "images.parquet").set_index("image_id")
    _, tail = split_backbone(build_backbone("efficientnet_lite0"), "efficientnet_lite0")
    head = load_head(res / "models" / "exp3" / "efficientnet_lite0" / "seed0" / "head.safetensors")
    y = torch.tensor(images.loc[val, "mos_authenticity"].to_numpy(), dtype=torch.float32)
    naive = sbs_naive(tensors["act"][rows_for(ids, val)], None, tail, head, y, max_steps=3)
    assert naive.removed == record["removed"]
    # Experiment 3 variants are explained on the global 20% test set, not on the Exp. 2 set
    global_test = set(splits.query("experiment == 'exp3' and role == 'test'")["image_id"])
    explained = set(_attribution_rows(res, "mpm", "val", "efficientnet_lite0")["image_id"])
    assert explained and explained <= global_test


def _attribution_rows(res, method, regime, arch, image=None):
    """The rows of ``image`` (all images when None) in every attribution table of (method,
    regime, arch): a table holds its job's chunk of images (attribution.images_per_job)."""
    folder = res / "attributions" / method / regime / arch
    table = pd.concat([pd.read_parquet(f) for f in sorted(folder.glob("*.parquet"))], ignore_index=True)
    return table if image is None else table[table["image_id"] == image].reset_index(drop=True)


def _maps(res, method, regime, arch, image):
    from authxai.attribution.maps import map_array

    table = _attribution_rows(res, method, regime, arch, image)
    return [map_array(row) for _, row in table.sort_values("seed").iterrows()]


def test_within_and_across_consistency_equal_a_recomputation(tiny_run):
    work, _ = tiny_run
    res = work / "results"
    within = pd.read_parquet(res / "consistency" / "within_gradcam.parquet")
    assert set(within["subset"]) == {"test", "train"}
    row = within[(within["arch"] == "efficientnet_lite0") & (within["subset"] == "test")].iloc[0]
    a, b = _maps(res, "gradcam", "test", "efficientnet_lite0", row["image_id"])
    assert row["pearson"] == pytest.approx(np.corrcoef(a.ravel(), b.ravel())[0, 1])
    k = int(np.ceil(0.15 * a.size))
    top_a, top_b = a.ravel() >= np.sort(a.ravel())[-k], b.ravel() >= np.sort(b.ravel())[-k]
    assert row["iou15"] == pytest.approx((top_a & top_b).sum() / (top_a | top_b).sum())
    table4 = pd.read_csv(res / "tables" / "table4_within_gradcam.csv").set_index("arch")
    test_rows = within[(within["arch"] == "efficientnet_lite0") & (within["subset"] == "test")]
    assert table4.loc["efficientnet_lite0", "pearson_mean"] == pytest.approx(test_rows["pearson"].mean())
    across = pd.read_parquet(res / "consistency" / "across_mpm.parquet")
    image = across["image_id"].iloc[0]
    protos = [
        np.mean(_maps(res, "mpm", "test", arch, image), axis=0) for arch in ("efficientnet_lite0", "random_lite0")
    ]
    got = across[across["image_id"] == image]["pearson"].item()
    assert got == pytest.approx(np.corrcoef(protos[0].ravel(), protos[1].ravel())[0, 1], abs=1e-6)
    relations = pd.concat(
        pd.read_csv(res / "tables" / f"{name}.csv")
        for name in ("table6_consistency_relations", "tableA4_consistency_vs_mae")
    )
    assert set(relations["method"]) == {"gradcam", "lime", "mpm"} and set(relations["subset"]) == {"test", "train"}
    table6 = pd.read_csv(res / "tables" / "table6_consistency_relations.csv")
    assert set(table6["target"]) == {"mos"}
    assert set(pd.read_csv(res / "tables" / "tableA4_consistency_vs_mae.csv")["target"]) == {"mae"}
    # Table 6 (vs the MOS) and Table A.4 (vs the variants' MAE, image-level) from the stage files
    variants = pd.concat(pd.read_parquet(p) for p in sorted((res / "variants" / "test").glob("*.parquet")))
    sub = within[(within["arch"] == "efficientnet_lite0") & (within["subset"] == "train")].set_index("image_id")
    mine = variants[(variants["arch"] == "efficientnet_lite0") & variants["image_id"].isin(sub.index)]
    mae = (mine["y_hat"] - mine["y"]).abs().groupby(mine["image_id"]).mean().loc[sub.index]
    mos = mine.groupby("image_id")["y"].first().loc[sub.index]
    rows = relations.set_index(["method", "arch", "subset", "target"])
    for target, values in (("mos", mos), ("mae", mae)):
        row = rows.loc[("gradcam", "efficientnet_lite0", "train", target)]
        assert row["n"] == len(sub)
        for measure in ("pearson", "iou5", "iou15", "iou25"):
            # no correlation of fewer than 3 images (the tiny run explains 2 per subset)
            defined = len(sub) >= 3 and sub[measure].std() > 0
            expected = np.corrcoef(sub[measure], values)[0, 1] if defined else np.nan
            assert row[f"r_{measure}"] == pytest.approx(expected, nan_ok=True)
            assert row[f"ci_{measure}"] == "[n too small]"  # 2 images


def test_lime_within_consistency_is_the_independent_estimate_with_its_noise_floor(tiny_run):
    """The tiny run draws LIME's perturbations per variant: ``pearson`` is the maps' raw r; the
    noise floor is each surrogate refit (sklearn, by hand) on the two halves of its stored draw;
    Table 5 and Table 9 name the estimate from the rows' draws."""
    from sklearn.linear_model import Ridge

    from authxai.attribution.lime_surrogate import perturbations

    work, _ = tiny_run
    res = work / "results"
    within = pd.read_parquet(res / "consistency" / "within_lime.parquet")
    estimate = "independent draws per variant (40 samples)"
    assert set(within["estimate"]) == {estimate} and within["pearson_shared"].isna().all()
    row = within[(within["arch"] == "efficientnet_lite0") & (within["subset"] == "test")].iloc[0]
    rows = _attribution_rows(res, "lime", "test", "efficientnet_lite0", row["image_id"]).sort_values("seed")
    assert rows["perturbation_seed"].nunique() == 2
    maps = [np.asarray(m, float) for m in rows["map"]]
    assert row["pearson"] == pytest.approx(np.corrcoef(*maps)[0, 1], abs=1e-6)
    rel = []
    for r in rows.itertuples():
        z = perturbations(r.n_segments, r.num_samples, r.perturbation_seed)
        cosine = 1 - z.sum(axis=1) / np.sqrt(z.sum(axis=1) * z.shape[1])  # distance to the all-ones vector
        weights = np.sqrt(np.exp(-(cosine**2) / 0.25**2))
        segments = np.asarray(r.segments)
        halves = [
            Ridge(alpha=1.0).fit(z[part], np.asarray(r.predictions)[part], sample_weight=weights[part]).coef_[segments]
            for part in (slice(0, 20), slice(20, 40))
        ]
        rel.append(np.corrcoef(*halves)[0, 1])
    reliability = 2 * np.mean(rel) / (1 + np.mean(rel))
    assert row["lime_reliability"] == pytest.approx(reliability, abs=1e-4)
    corrected = row["pearson"] / reliability if reliability > 0 else np.nan  # 20 samples, 30 superpixels: noisy
    assert row["pearson_noise_corrected"] == pytest.approx(corrected, rel=1e-3, nan_ok=True)
    table5 = pd.read_csv(res / "tables" / "table5_within_lime.csv").set_index("arch")
    tested = within[(within["arch"] == "efficientnet_lite0") & (within["subset"] == "test")]
    assert table5.loc["efficientnet_lite0", "estimate"] == estimate
    assert table5.loc["efficientnet_lite0", "lime_reliability_mean"] == pytest.approx(tested["lime_reliability"].mean())
    assert "pearson_shared" not in table5  # no shared draw: no inflated r to show
    card = pd.read_csv(res / "tables" / "table9_scorecard.csv", keep_default_na=False)
    assert set(card.loc[card["method"] == "lime", "within_estimate"]) == {estimate}
    assert set(card.loc[card["method"] != "lime", "within_estimate"]) == {""}
    assert f"LIME's within-arch r: {estimate}." in (res / "tables" / "table9_scorecard.md").read_text()


def test_consistency_vs_behaviour_and_across_prototypes_equal_a_recomputation(tiny_run):
    work, _ = tiny_run
    res = work / "results"
    pairs = pd.read_parquet(res / "consistency" / "within_pairs_lime.parquet")
    within = pd.read_parquet(res / "consistency" / "within_lime.parquet").set_index(["arch", "image_id"])
    # 2 seeds: one pair per image, which is the image's within-architecture consistency
    assert len(pairs) == len(within) and set(zip(pairs["seed_a"], pairs["seed_b"])) == {(0, 1)}
    for row in pairs.itertuples():
        assert row.iou15 == pytest.approx(within.loc[(row.arch, row.image_id), "iou15"])
    table = pd.read_csv(res / "tables" / "tableA4b_consistency_vs_behaviour_mantel.csv")
    table = table.set_index(["method", "arch", "map_measure"])
    variants = pd.read_parquet(res / "variants" / "test" / "random_lite0.parquet")
    test = variants[variants["role"] == "test"].pivot_table(index="image_id", columns="seed", values="y_hat")
    y = variants[variants["role"] == "test"].groupby("image_id")["y"].first().loc[test.index]
    row = table.loc[("lime", "random_lite0", "iou25")]
    explained = pairs[(pairs["arch"] == "random_lite0") & (pairs["subset"] == "test")]
    assert row["pairs"] == 1 and row["map_agreement"] == pytest.approx(explained["iou25"].mean())
    assert row["prediction_r"] == pytest.approx(np.corrcoef(test[0], test[1])[0, 1])
    assert row["prediction_mad"] == pytest.approx((test[0] - test[1]).abs().mean())
    expected_mae = ((test[0] - y).abs().mean() + (test[1] - y).abs().mean()) / 2
    assert row["error_mae"] == pytest.approx(expected_mae)
    assert np.isnan(row["r_prediction_r"])  # one pair of variants: nothing to correlate
    across = pd.read_parquet(res / "consistency" / "across_gradcam.parquet")
    assert set(across["prototypes"]) == {"all variants"}
    prototypes = pd.read_csv(res / "tables" / "tableA_across_prototypes.csv").set_index(["method", "prototypes"])
    row = prototypes.loc[("gradcam", "all variants")]
    assert row["n"] == across["image_id"].nunique()
    assert row["pearson_mean"] == pytest.approx(across["pearson"].mean())
    assert row["iou5_mean"] == pytest.approx(across["iou5"].mean())


def test_prototype_seeds_restrict_the_across_prototypes_and_keep_all_variants_as_an_extra(tiny_run, tmp_path):
    local, _ = tiny_run
    work = tmp_path / "protos"
    shutil.copytree(local, work, symlinks=True)
    cfg = yaml.safe_load((work / "config" / "config.yaml").read_text())
    cfg["consistency"] = {"prototype_seeds": {"mpm": [1]}}
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(cfg))
    target = "results/tables/tableA_across_prototypes.csv"
    jobs = _job_counts(run_snakemake(work, "-n", target).stdout)
    assert jobs == {"consistency_across": 1, "consistency_across_allvariants": 1, "table_across_prototypes": 1}
    run_snakemake(work, target)
    res = work / "results"
    one = pd.read_parquet(res / "consistency" / "across_mpm.parquet")
    every = pd.read_parquet(res / "consistency" / "across_mpm_allvariants.parquet")
    assert set(one["prototypes"]) == {"seed 1"} and set(every["prototypes"]) == {"all variants"}
    pd.testing.assert_frame_equal(every, pd.read_parquet(local / "results" / "consistency" / "across_mpm.parquet"))
    image = one["image_id"].iloc[0]
    seed1 = [_maps(res, "mpm", "test", arch, image)[1] for arch in ("efficientnet_lite0", "random_lite0")]
    got = one[one["image_id"] == image]["pearson"].item()
    assert got == pytest.approx(np.corrcoef(seed1[0].ravel(), seed1[1].ravel())[0, 1], abs=1e-6)
    table = pd.read_csv(res / "tables" / "tableA_across_prototypes.csv")
    assert set(table.loc[table["method"] == "mpm", "prototypes"]) == {"seed 1", "all variants"}
    cfg["consistency"] = {"prototype_seeds": {"mpm": [4]}}
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(cfg))
    proc = run_snakemake(work, "-n", check=False)
    assert proc.returncode != 0 and "consistency.prototype_seeds.mpm: [4]" in proc.stdout + proc.stderr


def test_ensembles_equal_a_recomputation(tiny_run):
    from authxai.evaluation import regression_metrics

    work, _ = tiny_run
    res = work / "results"
    variants = pd.concat(pd.read_parquet(p) for p in sorted((res / "variants" / "val").glob("*.parquet")))
    test = variants[variants["role"] == "test"].astype({"y_hat": "float64"})
    wide = test.pivot_table(index="image_id", columns=["arch", "seed"], values="y_hat")
    y = test.groupby("image_id")["y"].first().loc[wide.index]
    table7 = pd.read_csv(res / "tables" / "table7_ensembles.csv").set_index("model")
    # the ensembles pool the trained backbone's variants only; the control's are their own rows
    trained, control = wide["efficientnet_lite0"], wide["random_lite0"]
    assert table7.loc["bagging", "plcc_mean"] == pytest.approx(regression_metrics(y, trained.mean(axis=1))["plcc"])
    assert table7.loc["bagging", "variants"] == 2 and table7.loc["bagging", "backbones"] == "trained"
    control_rmse = regression_metrics(y, control.mean(axis=1))["rmse"]
    assert table7.loc["bagging (control)", "rmse_mean"] == pytest.approx(control_rmse)
    assert table7.loc["stacking (control)", "backbones"] == "control"
    pooled = regression_metrics(y, wide.mean(axis=1))["rmse"]
    print(
        f"bagging RMSE: trained {table7.loc['bagging', 'rmse_mean']:.3f}, control {control_rmse:.3f}, "
        f"trained + control pooled {pooled:.3f}"
    )
    stacking = json.loads((res / "ensemble" / "stacking.json").read_text())
    assert {v["arch"] for v in stacking["variants"]} == {"efficientnet_lite0"}
    # bagging MPM = mean of the trained variants' raw drops, read independently from the variant tables
    ens_file = sorted((res / "ensemble" / "attributions" / "mpm").glob("*.parquet"))[0]
    ens = pd.read_parquet(ens_file).set_index("kind")
    drops = [
        np.asarray(d.tolist())
        for d in _attribution_rows(res, "mpm", "val", "efficientnet_lite0", ens_file.stem)["drops"]
    ]
    assert len(drops) == 2 and (ens["n_variants"] == 2).all()
    np.testing.assert_allclose(np.asarray(ens.loc["bagging", "drops"].tolist()), np.mean(drops, axis=0), atol=1e-5)
    # each architecture's best variant: lowest test RMSE over its seeds
    for arch in ("efficientnet_lite0", "random_lite0"):
        rmse = {seed: regression_metrics(y, wide[(arch, seed)])["rmse"] for seed in wide[arch].columns}
        best = min(rmse, key=rmse.get)
        assert table7.loc[arch, "best_variant"] == f"seed {best}"
        assert table7.loc[arch, "best_rmse"] == pytest.approx(rmse[best])
        assert table7.loc[arch, "rmse_mean"] == pytest.approx(np.mean(list(rmse.values())))
    # §5.4: the ensembles' LIME vs MPM maps, from the ensemble map files
    per_image = pd.read_parquet(res / "ensemble" / "lime_vs_mpm.parquet").set_index(["image_id", "kind"])
    assert len(per_image) == 2 * 2  # 2 global test images x bagging, stacking
    lime = pd.read_parquet(res / "ensemble" / "attributions" / "lime" / f"{ens_file.stem}.parquet").set_index("kind")
    for kind in ("bagging", "stacking"):
        a = np.asarray(lime.loc[kind, "map"], np.float64)
        b = np.asarray(ens.loc[kind, "map"], np.float64)
        row = per_image.loc[(ens_file.stem, kind)]
        assert row["pearson"] == pytest.approx(np.corrcoef(a, b)[0, 1], abs=1e-6)
        k = int(np.ceil(0.05 * a.size))
        top_a, top_b = a >= np.sort(a)[-k], b >= np.sort(b)[-k]
        assert row["iou5"] == pytest.approx((top_a & top_b).sum() / (top_a | top_b).sum())
    table7b = pd.read_csv(res / "tables" / "table7b_ensemble_lime_vs_mpm.csv").set_index("kind")
    assert table7b.loc["stacking", "n"] == 2
    stacking = per_image.xs("stacking", level="kind")
    assert table7b.loc["stacking", "pearson_mean"] == pytest.approx(stacking["pearson"].mean())
    assert table7b.loc["stacking", "pearson"].endswith("[n too small]")  # 2 images
    # Table 7c (§5.4): the ensembles' LIME surrogate R², from the ensemble map files
    fits = pd.concat(pd.read_parquet(p) for p in sorted((res / "ensemble" / "attributions" / "lime").glob("*.parquet")))
    table7c = pd.read_csv(res / "tables" / "table7c_ensemble_lime_fidelity.csv").set_index("kind")
    for kind, sub in fits.groupby("kind"):
        assert table7c.loc[kind, "images"] == len(sub) == 2
        assert table7c.loc[kind, "r2_mean"] == pytest.approx(sub["r2"].mean())
        assert table7c.loc[kind, "r2_max"] == pytest.approx(sub["r2"].max())


def test_lime_fidelity_and_pruning_tables_equal_a_recomputation(tiny_run):
    from authxai.evaluation import regression_metrics

    work, _ = tiny_run
    res = work / "results"
    fidelity = pd.read_csv(res / "tables" / "tableA2_lime_fidelity.csv").set_index(["regime", "arch"])
    assert len(fidelity) == 2 * 2
    r2 = _attribution_rows(res, "lime", "val", "random_lite0").groupby("image_id")["r2"]
    row = fidelity.loc[("val", "random_lite0")]
    assert row["images"] == r2.ngroups == 2 and row["fits"] == 2 * 2
    assert row["r2_mean"] == pytest.approx(r2.mean().mean())
    assert row["r2_min"] == pytest.approx(r2.min().min()) and row["r2_max"] == pytest.approx(r2.max().max())

    pruning = pd.read_csv(res / "tables" / "tableA_pruning.csv").set_index(["regime", "arch", "heads"])
    assert len(pruning) == 2 * 2 * 2  # regimes x archs x (unpruned, pruned)
    # unpruned Experiment 2 heads: the evaluate stage's predictions (an independent source)
    pred = pd.read_parquet(res / "predictions" / "efficientnet_lite0.parquet")
    test = pred[pred["role"] == "test"]
    rmse = [regression_metrics(g["y"], g["y_hat"])["rmse"] for _, g in test.groupby("seed")]
    row = pruning.loc[("test", "efficientnet_lite0", "unpruned")]
    assert row["rmse_mean"] == pytest.approx(np.mean(rmse), rel=1e-5)
    assert row["test_images"] == test["image_id"].nunique() and row["channels_removed_pct_mean"] == 0
    # pruned Experiment 3 variants on the global test set, and the share SBS removed
    variants = pd.read_parquet(res / "variants" / "val" / "random_lite0.parquet")
    test = variants[variants["role"] == "test"]
    plcc = [regression_metrics(g["y"], g["y_hat"])["plcc"] for _, g in test.groupby("seed")]
    row = pruning.loc[("val", "random_lite0", "pruned")]
    assert row["plcc_mean"] == pytest.approx(np.mean(plcc))
    removed = [
        len(json.loads((res / "pruning" / "val" / "random_lite0" / f"seed{s}.json").read_text())["removed"]) / 1280
        for s in (0, 1)
    ]
    assert row["channels_removed_pct_mean"] == pytest.approx(100 * np.mean(removed))
    # the tiny study caps SBS at 3 removals (pruning.max_steps): the runs that reached the cap
    at_cap = sum(1280 * share >= 3 - 1e-9 for share in removed)
    assert row["runs_at_cap"] == at_cap and row["stopped_at_cap"] == f"{at_cap}/2 (cap 3)"
    heads = pd.read_csv(res / "tables" / "tableA3_head_parameters.csv").set_index("arch")
    from authxai.models.backbones import get_spec
    from authxai.models.heads import RegressionHead, n_parameters

    for arch in ("efficientnet_lite0", "random_lite0"):
        spec = get_spec(arch)
        assert heads.loc[arch, "parameters"] == n_parameters(RegressionHead(spec.embed_dim, spec.head_hidden))
    assert heads.loc["random_lite0", "backbone"] == "control (random init)"


def test_localization_equals_a_recomputation_from_maps_and_cue_masks(tiny_run):
    from sklearn.metrics import roc_auc_score

    work, _ = tiny_run
    res = work / "results"
    images = pd.read_parquet(res / "data" / "images.parquet").set_index("image_id")
    per_map = pd.read_parquet(res / "localization" / "mpm.parquet")
    cued = {
        i
        for i in images.index
        if (np.asarray(Image.open(res / "synthetic" / images.loc[i, "cue_mask_path"])) > 0).any()
    }
    assert set(per_map["image_id"]) <= cued
    assert set(per_map["kind"]) == {"variant", "prototype", "bagging", "stacking"}
    for row in per_map[per_map["kind"] == "variant"].itertuples():
        table = _attribution_rows(res, "mpm", row.regime, row.arch, row.image_id)
        saliency = np.abs(np.asarray(table.set_index("seed").loc[row.seed, "map"])).reshape(64, 64)
        mask = np.asarray(Image.open(res / "synthetic" / images.loc[row.image_id, "cue_mask_path"])) > 0
        assert row.auroc == pytest.approx(roc_auc_score(mask.ravel(), saliency.ravel()))
        assert row.energy == pytest.approx(saliency[mask].sum() / saliency.sum())
    summary = pd.read_parquet(res / "localization" / "summary.parquet").set_index(["method", "regime", "arch", "kind"])
    variant = per_map[(per_map["kind"] == "variant") & (per_map["regime"] == "test")]
    for arch, sub in variant.groupby("arch"):
        expected = sub.groupby("image_id")["auroc"].mean().mean()
        row = summary.loc[("mpm", "test", arch, "variant")]
        assert row["auroc"] == pytest.approx(expected) and row["auroc_low"] <= expected <= row["auroc_high"]
    table8 = pd.read_csv(res / "tables" / "table8_localization.csv")
    assert set(table8["method"]) == {"gradcam", "lime", "mpm"}


def test_sanity_faithfulness_and_scorecard_equal_recomputations(tiny_run):
    """Similarities from the stored maps (scipy), one deletion curve by hand through the variant
    model, the scorecard's means from the stages' tables."""
    from scipy import stats

    from authxai.attribution.variants import load_variants
    from authxai.faithfulness import faithfulness_curves
    from authxai.models.features import load_image

    work, _ = tiny_run
    res = work / "results"
    arch = "efficientnet_lite0"
    similarity = pd.read_parquet(res / "sanity" / f"{arch}.parquet")
    maps = pd.read_parquet(res / "sanity" / f"{arch}_maps.parquet")
    assert set(maps["level"]) == {"original", "head", "top2", "top5", "all", "data"}
    assert set(maps["method"]) == {"gradcam", "lime", "mpm"}
    as_map = {(r.method, r.image_id, r.level): np.asarray(r.map).reshape(r.height, r.width) for r in maps.itertuples()}
    for row in similarity.itertuples():
        a, b = (
            np.abs(as_map[(row.method, row.image_id, "original")]),
            np.abs(as_map[(row.method, row.image_id, row.level)]),
        )
        if a.std() and b.std():
            assert row.spearman_abs == pytest.approx(stats.spearmanr(a.ravel(), b.ravel()).statistic, abs=1e-6)
    # the sanity variant's original map is the attribution stage's map of that seed
    image = maps["image_id"].iloc[0]
    stored = _attribution_rows(res, "gradcam", "test", arch, image).set_index("seed")
    np.testing.assert_allclose(
        as_map[("gradcam", image, "original")].ravel(), np.asarray(stored.loc[0, "map"]), rtol=1e-4, atol=1e-6
    )

    every_method = pd.read_parquet(res / "faithfulness" / f"{arch}.parquet")  # one job per architecture
    assert every_method.groupby("method").size().to_dict() == {m: 2 * 2 for m in ("gradcam", "lime", "mpm")}
    faith = every_method[every_method["method"] == "mpm"]  # 2 explanation images x 2 seeds
    row = faith.iloc[-1]
    table = _attribution_rows(res, "mpm", "test", arch, row.image_id).set_index("seed")
    variants, _ = load_variants(
        arch,
        [res / "models" / "exp12" / arch / f"seed{s}" / "head.safetensors" for s in (0, 1)],
        [res / "pruning" / "test" / arch / f"seed{s}.json" for s in (0, 1)],
    )
    images = pd.read_parquet(res / "data" / "images.parquet").set_index("image_id")
    x = load_image(res / "synthetic" / images.loc[row.image_id, "path"], resize=64, crop=64)
    saliency = np.asarray(table.loc[row.seed, "map"]).reshape(64, 64)
    expected = faithfulness_curves(variants, x, saliency, steps=16)[row.seed]
    np.testing.assert_allclose(row.deletion_morf, expected["deletion_morf"], rtol=1e-4, atol=1e-5)
    assert row.gap == pytest.approx(expected["deletion_morf_auc"] - expected["deletion_lerf_auc"], abs=1e-5)

    card = pd.read_csv(res / "tables" / "table9_scorecard.csv").set_index(["method", "arch"])
    # the tiny study checks 2 images: no verdict rests on so few (a CI needs 10)
    assert len(card) == 3 * 2 and set(card["sanity"]) == {"model n too small, data n too small (n = 2)"}
    mine = faith.groupby("image_id")["gap"].mean().mean()
    assert card.loc[("mpm", arch), "faithfulness_gap_mean"] == pytest.approx(mine, abs=1e-9)
    within = pd.read_parquet(res / "consistency" / "within_mpm.parquet")
    expected_r = within[(within["arch"] == arch) & (within["subset"] == "test")]["pearson"].mean()
    assert card.loc[("mpm", arch), "within_r_mean"] == pytest.approx(expected_r)
    text = (res / "scorecard" / "scorecard.md").read_text()
    assert "Does agreement imply correctness?" in text and "| method" in text


def test_counterfactuals_their_agreement_and_the_scorecard_column_equal_recomputations(tiny_run):
    """The counterfactual table against the variants run by hand on the study's image file and
    on renders without each artifact; the rank agreement from the stored maps and masks (scipy);
    Table 10's R² (numpy) and the scorecard's counterfactual column from the stages' tables."""
    import torch
    from scipy import stats

    from authxai.attribution.variants import load_variants
    from authxai.data import synthetic as syn
    from authxai.models.features import load_image, model_input

    work, _ = tiny_run
    res = work / "results"
    arch = "efficientnet_lite0"
    cf = pd.read_parquet(res / "counterfactual" / "predictions" / f"{arch}.parquet")
    explained = set(_attribution_rows(res, "mpm", "test", arch)["image_id"])  # test + training-pool images
    tested = set(pd.read_parquet(res / "faithfulness" / f"{arch}.parquet")["image_id"])
    assert set(cf["image_id"]) == explained and set(cf.loc[cf["role"] == "test", "image_id"]) == tested
    assert set(cf["seed"]) == {0, 1} and (cf["arch"] == arch).all()
    plan = syn.plan_study(syn.StudySettings(**TINY_CONFIG["synthetic"]))[0].set_index("image_id")
    images = pd.read_parquet(res / "data" / "images.parquet").set_index("image_id")
    for image_id in explained:  # every planted artifact and "all", nothing else
        assert set(cf.loc[cf["image_id"] == image_id, "artifact"]) == {*syn.planted_kinds(plan.loc[image_id]), "all"}
    variants, _ = load_variants(
        arch,
        [res / "models" / "exp12" / arch / f"seed{s}" / "head.safetensors" for s in (0, 1)],
        [res / "pruning" / "test" / arch / f"seed{s}.json" for s in (0, 1)],
    )
    cued = cf[cf["artifact"] != "all"].iloc[0]
    row, rows = plan.loc[cued.image_id], cf[cf["image_id"] == cued.image_id].set_index(["artifact", "seed"])
    with torch.no_grad():
        stored = variants(load_image(res / "synthetic" / images.loc[cued.image_id, "path"], 64, 64)[None])[0]
        without, bits = syn.render_image(row, 64, syn.is_non_realistic(row), without=cued.artifact)
        after = variants(model_input(without, 64, 64)[None])[0]
    for seed in (0, 1):
        assert rows.loc[(cued.artifact, seed), "prediction"] == pytest.approx(float(stored[seed]), abs=1e-4)
        assert rows.loc[(cued.artifact, seed), "prediction_without"] == pytest.approx(float(after[seed]), abs=1e-4)
    full_bits = np.asarray(Image.open(res / "synthetic" / images.loc[cued.image_id, "cue_mask_path"]))
    np.testing.assert_array_equal(bits, full_bits & ~np.uint8(1 << syn.ARTIFACT_KINDS.index(cued.artifact)))
    assert rows.loc[("all", 0), "region_px"] == int((full_bits > 0).sum())

    agreement = pd.read_parquet(res / "counterfactual" / "agreement" / "mpm.parquet")
    assert set(agreement["image_id"]) == tested and len(agreement) == 2 * len(tested) * 2  # archs x images x seeds
    for row in agreement.itertuples():
        saliency = np.abs(_maps(res, "mpm", "test", row.arch, row.image_id)[row.seed])
        mask = np.asarray(Image.open(res / "synthetic" / images.loc[row.image_id, "cue_mask_path"]))
        table = pd.read_parquet(res / "counterfactual" / "predictions" / f"{row.arch}.parquet")
        effects = table[
            (table["image_id"] == row.image_id) & (table["seed"] == row.seed) & (table["artifact"] != "all")
        ]
        means, targets = [], []
        for kind, effect in zip(effects["artifact"], effects["effect"]):
            region = (mask >> syn.ARTIFACT_KINDS.index(kind) & 1).astype(bool)
            means.append(saliency[region].mean())
            targets.append(abs(effect))
        # cue regions only (the background is no region): undefined below two cues
        expected = stats.spearmanr(means, targets).statistic if len(means) > 1 else np.nan
        assert row.cf_agreement == pytest.approx(expected, nan_ok=True), row

    summary = pd.read_parquet(res / "counterfactual" / "variance_share.parquet")
    everything = cf[cf["artifact"] == "all"].sort_values("image_id")
    for seed in (0, 1):
        mine = everything[everything["seed"] == seed]
        r2 = np.corrcoef(mine["prediction"], mine["effect"])[0, 1] ** 2
        got = summary[(summary["arch"] == arch) & (summary["seed"] == seed)]["r2"].item()
        assert got == pytest.approx(r2, nan_ok=True)
    table10 = pd.read_csv(res / "tables" / "table10_counterfactual.csv").set_index("arch")
    assert set(table10.index) == {"efficientnet_lite0", "random_lite0"} and (table10["images"] == len(explained)).all()

    card = pd.read_csv(res / "tables" / "table9_scorecard.csv").set_index(["method", "arch"])
    per_image = agreement[agreement["arch"] == arch].groupby("image_id")["cf_agreement"].mean().dropna()
    assert card.loc[("mpm", arch), "cf_agreement_mean"] == pytest.approx(per_image.mean(), nan_ok=True)
    text = (res / "scorecard" / "scorecard.md").read_text()
    assert "Do the heads use the planted cues?" in text and "counterfactual rank r" in text


def test_authxai_run_builds_the_report_of_a_finished_run(tiny_run, monkeypatch, capsys):
    """`authxai run` for real on a finished run: snakemake has nothing left to do, then the run's
    report is built into results/report.html, as `make run` builds it."""
    from authxai.cli import main

    work, _ = tiny_run
    monkeypatch.chdir(work)
    started = time.time()
    assert main(["run", "config/config.yaml", "--cores", "2"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "Report: results/report.html; explorer: `authxai explore`"
    report = work / "results" / "report.html"
    assert report.stat().st_mtime >= started and report.stat().st_size > 100_000
    assert (work / "results" / "logs" / "report.log").stat().st_mtime >= started


def test_report_builds_with_every_figure_and_table(tiny_run):
    work, _ = tiny_run
    run_snakemake(work, "--report", "results/report.html")
    html = (work / "results" / "report.html").read_text(errors="replace")
    assert len(html) > 100_000
    # the explorer by its absolute URI (survives moving report.html) and relatively (tests/test_report_links.py)
    explorer = (work / "results" / "explorer" / "index.html").resolve().as_uri()
    assert f'href=\\"{explorer}\\"' in html and 'href=\\"explorer/index.html\\"' in html
    for needle in (
        "fig3_across_arch.png",
        "fig5_ensemble_maps.png",
        "table7_ensembles.csv",
        "table4_within_gradcam.csv",
        "table8_localization.csv",
        "fig6_consistency_vs_localization.png",
        "table9_scorecard.csv",
        "table10_counterfactual.csv",
        "scorecard.html",
        "fig7_sanity_checks.png",
        "fig8_faithfulness.png",
        "table7b_ensemble_lime_vs_mpm.csv",
        "tableA2_lime_fidelity.csv",
        "tableA4_consistency_vs_mae.csv",
        "tableA4b_consistency_vs_behaviour_mantel.csv",
        "tableA3_head_parameters.csv",
        "table7c_ensemble_lime_fidelity.csv",
        "tableA_pruning.csv",
        "tableA_across_prototypes.csv",
    ):
        assert needle in html, needle


def test_config_chooses_which_variants_get_mpm(tiny_workdir):
    cfg = yaml.safe_load((tiny_workdir / "config" / "config.yaml").read_text())
    cfg["attribution"]["mpm"]["seeds"] = [1]
    (tiny_workdir / "config" / "config.yaml").write_text(yaml.safe_dump(cfg))
    out = run_snakemake(tiny_workdir, "-n", "--quiet", "rules").stdout
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", out, flags=re.M))
    # 2 archs x (2 test + 2 training-pool images in a 3-image and a 1-image job + 2 global-test
    # images in one job), each job writing its variants' tables (attribution.images_per_job: 3)
    assert counts["mpm"] == counts["gradcam"] == "6"
    out = run_snakemake(tiny_workdir, "-n", "--forceall").stdout
    inputs = {rule: [] for rule in ("mpm", "gradcam")}
    for rule, line in re.findall(r"^rule (mpm|gradcam):\n    input: (.*)$", out, flags=re.M):
        inputs[rule].append(line)
    assert len(inputs["mpm"]) == 6 and all(
        "seed1.json" in line and "seed0.json" not in line and "seed0/head" not in line for line in inputs["mpm"]
    )
    assert all("seed0.json" in line and "seed1.json" in line for line in inputs["gradcam"])
    cfg["attribution"]["mpm"]["seeds"] = [7]
    (tiny_workdir / "config" / "config.yaml").write_text(yaml.safe_dump(cfg))
    proc = run_snakemake(tiny_workdir, "-n", check=False)
    assert proc.returncode != 0 and "attribution.mpm.seeds: [7]" in proc.stdout + proc.stderr


#: Rules downstream of the MPM maps (what `--forcerun mpm` may rerun besides mpm itself).
MPM_CONSUMERS = {
    "explorer",
    "consistency_within",
    "consistency_across",
    "consistency_relations",
    "table_consistency",
    "table_consistency_vs_behaviour",
    "table_across_prototypes",
    "table_ensemble_lime_vs_mpm",
    "ensemble_attributions",
    "localization",
    "table_localization",
    "counterfactual_agreement",
    "faithfulness",
    "scorecard",
    "figure",
}


def test_forcerun_mpm_schedules_only_mpm_and_its_consumers(tiny_run):
    work, _ = tiny_run
    out = run_snakemake(work, "-n", "--forcerun", "mpm").stdout
    jobs = set(re.findall(r"^rule (\w+):", out, flags=re.M)) | set(re.findall(r"^localrule (\w+):", out, flags=re.M))
    assert "mpm" in jobs
    assert jobs <= {"mpm", "all"} | MPM_CONSUMERS, jobs
    assert not jobs & {"extract_features", "train_head", "prune", "predict_variants", "ensemble", "gradcam", "lime"}


def test_outputs_record_config_and_versions(tiny_run):
    work, _ = tiny_run
    record = read_provenance(work / "results" / "psychometrics" / "reliability.parquet")
    assert record["config"]["synthetic"]["n_images"] == 80
    assert {"torch", "pandas", "snakemake", "authxai"} <= set(record["versions"])
    # a table-only job never loads torch; a model job records its CPU and what its trunks ran at
    import torch

    assert record["cpu_capability"] == record["cpu_native_bf16"] == record["precision"] == "not used"
    lime = read_provenance(next((work / "results" / "attributions" / "lime").rglob("*.parquet")))
    assert lime["precision"] == {"lime": "fp32"} and lime["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    sanity = read_provenance(next((work / "results" / "sanity").glob("*_maps.parquet")))
    assert sanity["precision"] == {"gradcam": "fp32", "lime": "fp32", "mpm": "fp32"}
    with Image.open(work / "results" / "figures" / "fig2_psychometrics.png") as im:
        assert json.loads(im.text["authxai"])["config"]["seed"] == 0


def test_reliability_equals_a_direct_computation_on_the_ratings(tiny_run):
    work, _ = tiny_run
    images = pd.read_parquet(work / "results" / "data" / "metadata.parquet")
    ratings = pd.read_parquet(work / "results" / "data" / "ratings.parquet")
    kept = set(images.loc[images["kept"], "image_id"])
    direct = reliability_table(ratings[ratings["image_id"].isin(kept)], n_splits=5, seed=0)
    got = pd.read_parquet(work / "results" / "psychometrics" / "reliability.parquet")
    pd.testing.assert_frame_equal(got, direct, check_dtype=False)
    # MOS of the image table = mean z per image, rescaled (independent recomputation)
    auth = ratings[ratings["dimension"] == "authenticity"]
    mos = (auth.groupby("image_id")["z"].mean() + 3) / 6 * 100
    np.testing.assert_allclose(images.set_index("image_id")["mos_authenticity"].loc[mos.index], mos)


def test_rerun_is_a_no_op_and_same_seed_gives_same_numbers(tiny_run, tmp_path):
    work, _ = tiny_run
    assert "Nothing to be done" in run_snakemake(work, "-n").stdout
    other = make_workdir(tmp_path / "again", TINY_CONFIG)
    run_snakemake(other, "results/psychometrics/reliability.parquet")
    a = pd.read_parquet(work / "results" / "psychometrics" / "reliability.parquet")
    b = pd.read_parquet(other / "results" / "psychometrics" / "reliability.parquet")
    pd.testing.assert_frame_equal(a, b)


def test_dry_run_lists_the_dag(tiny_workdir):
    out = run_snakemake(tiny_workdir, "-n").stdout
    for rule in (
        "synthesize_study",
        "prepare_metadata",
        "prepare_data",
        "psychometrics",
        "figure",
        "make_splits",
        "extract_features",
        "train_head",
        "evaluate",
        "table_experiment1",
    ):
        assert rule in out
    assert not (tiny_workdir / "results").exists()


def _graph(dot_text: str) -> tuple[dict[str, str], set[tuple[str, str]]]:
    """Node labels and edges (as label pairs) of snakemake's graphviz output."""
    labels = dict(re.findall(r'^\s*(\d+)\[label = "([^"]+)"', dot_text, flags=re.M))
    edges = {(labels[a], labels[b]) for a, b in re.findall(r"^\s*(\d+) -> (\d+)", dot_text, flags=re.M)}
    return labels, edges


def _render(dot_text: str, png: Path) -> None:
    """Render with graphviz's dot, as the README does; the result must be a readable image."""

    if shutil.which("dot") is None:
        reason = "graphviz's dot not installed (apt-get install graphviz)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must render the DAG: {reason}")
        pytest.skip(reason)
    subprocess.run(["dot", "-Tpng", "-o", str(png)], input=dot_text, text=True, check=True)
    with Image.open(png) as image:
        assert image.size[0] > 100 and image.size[1] > 100


def test_rulegraph_and_dag_render(tiny_workdir, tmp_path):
    rulegraph = run_snakemake(tiny_workdir, "--rulegraph").stdout
    labels, edges = _graph(rulegraph)
    jobs = _job_counts(run_snakemake(tiny_workdir, "-n").stdout)
    assert set(labels.values()) == set(jobs)
    for upstream, downstream in [
        ("extract_features", "train_head"),
        ("prune", "mpm"),
        ("mpm", "consistency_within"),
        ("consistency_across", "figure"),
        ("figure", "all"),
    ]:
        assert (upstream, downstream) in edges
    _render(rulegraph, tmp_path / "rulegraph.png")

    dag = run_snakemake(tiny_workdir, "--dag").stdout
    nodes, _ = _graph(dag)
    assert len(nodes) == sum(jobs.values())
    _render(dag, tmp_path / "dag.png")


def test_real_aigciqa2023_mos_summary_runs_without_images(tmp_path):
    work = make_workdir(tmp_path / "aigc", yaml.safe_load((REPO / "config" / "aigciqa2023.yaml").read_text()))
    run_snakemake(work, "results/psychometrics/mos_summary.parquet")
    summary = pd.read_parquet(work / "results" / "psychometrics" / "mos_summary.parquet")
    r = summary.query("statistic == 'pearson_r' and analysis == 'quality_authenticity'")["value"].item()
    assert round(r, 3) == 0.863
    assert len(pd.read_parquet(work / "results" / "psychometrics" / "reliability.parquet")) == 0
    assert "skipped" in (work / "results" / "logs" / "psychometrics.log").read_text()


def _job_counts(out: str) -> dict[str, int]:
    """Rule -> number of jobs from the first 'Job stats' table of a snakemake run or dry run."""
    table = out.split("Job stats:")[1].split("\n\n")[0]
    return {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", table, flags=re.M) if rule != "total"}


def test_changing_an_mpm_setting_reruns_only_mpm_and_its_consumers(tiny_run, tmp_path):
    work, _ = tiny_run
    cfg = yaml.safe_load((work / "config" / "config.yaml").read_text())
    cfg["attribution"]["mpm"]["stride"] = 8
    (tmp_path / "stride8.yaml").write_text(yaml.safe_dump(cfg))
    out = run_snakemake(work, "-n", "--configfile", str(tmp_path / "stride8.yaml")).stdout
    jobs = _job_counts(out)
    assert jobs["mpm"] == len(list((work / "results" / "logs" / "mpm").glob("*.log")))
    assert "Params have changed" in out
    # sanity recomputes MPM maps with these settings itself (params), so it reruns too
    assert set(jobs) <= {"mpm", "all", "sanity"} | MPM_CONSUMERS, jobs
    assert not set(jobs) & {"extract_features", "train_head", "prune", "predict_variants", "gradcam", "lime"}


@pytest.mark.parametrize(
    ("figure", "expected"),
    [
        ("figA1_kept_vs_removed", {"synthesize_study", "prepare_metadata", "psychometrics", "figure"}),
        (
            "fig3_across_arch",
            {"synthesize_study", "prepare_metadata", "prepare_data", "make_splits", "extract_features"}
            | {"train_head", "prune", "gradcam", "lime", "mpm", "consistency_across", "figure"},
        ),
    ],
)
def test_one_figure_runs_only_its_ancestors(tiny_workdir, figure, expected):
    out = run_snakemake(tiny_workdir, "-n", f"results/figures/{figure}.png").stdout
    jobs = _job_counts(out)
    assert set(jobs) == expected and jobs["figure"] == 1, jobs


def test_paper_config_dry_run_lists_the_complete_dag(tmp_path):
    """The real AIGCIQA2023 table with tiny stand-in images: every job is known before running."""

    work = paper_workdir(tmp_path / "aigc")
    start = time.perf_counter()
    out = run_snakemake(work, "-n").stdout
    seconds = time.perf_counter() - start
    jobs = _job_counts(out)
    print(f"paper-config dry run: {sum(jobs.values())} jobs in {seconds:.0f} s: {jobs}")
    # 6 backbones; heads: one job per (experiment, arch) trains its 10 seeds -> 60 heads per experiment
    assert jobs["extract_features"] == 6 and jobs["train_head"] == 12 and jobs["prune"] == 12
    assert len(re.findall(r"results/models/exp12/\w+/seed\d/head\.safetensors", out)) >= 60
    # per-image attribution jobs: (138 Exp. 2 explanation + 20 training-pool + 275 global test) x 6
    # (1,368 kept images: 957/273/138 in Experiments 1-2 as in the paper, 957/136/275 in Experiment 3)
    assert jobs["gradcam"] == jobs["lime"] == jobs["mpm"] == 6 * (138 + 20 + 275)
    assert jobs["ensemble"] == 1 and jobs["ensemble_attributions"] == 2 * 275
    # MPM prototypes of one variant per architecture (the paper), all-variant ones as the extra
    assert jobs["consistency_across"] == 3 and jobs["consistency_across_allvariants"] == 1
    assert "results/consistency/across_mpm_allvariants.parquet" in out
    for rule in ("table_pruning", "table_lime_fidelity", "table_consistency_vs_behaviour", "table_across_prototypes"):
        assert jobs[rule] == 1, rule
    assert jobs["table_ensemble_lime_vs_mpm"] == 1 and jobs["table_ensemble_lime_fidelity"] == 1
    assert jobs["table_head_parameters"] == 1
    for table in (
        "tableA4_consistency_vs_mae",
        "tableA4b_consistency_vs_behaviour_mantel",
        "table7c_ensemble_lime_fidelity",
    ):
        assert f"results/tables/{table}.csv" in out, table
    # + Figures 7, 8 (sanity, faithfulness), 9 (the scorecard's forest plot), a seed grid per method
    assert jobs["figure"] == 26 and jobs["table_consistency"] == 1
    assert jobs["explorer"] == 1
    assert jobs["sanity"] == 6 and jobs["faithfulness"] == 6 and jobs["scorecard"] == 1
    # real images carry no planted cues: no counterfactuals, no Table 10
    assert not {"counterfactual", "counterfactual_agreement", "table_counterfactual"} & set(jobs)
    assert not (work / "results").exists()


@pytest.mark.slow  # runs the tiny study up to MPM, kills it, resumes it
def test_a_run_killed_during_mpm_resumes_without_redoing_finished_jobs(tmp_path, tiny_run):
    """SIGKILL the whole run (a crashed login node) once two MPM jobs have finished. A plain
    rerun refuses the cut-off jobs' files; after `--unlock` (what snakemake's lock error asks
    for), `--rerun-incomplete` (as `make run`) keeps the finished jobs' files and redoes exactly
    the others, the half-written ones included. Every run here stops at MPM (`--until mpm`: MPM
    and what it needs), which keeps the test short; resuming works the same for the whole DAG."""
    work = make_workdir(tmp_path / "killed", TINY_CONFIG)
    until = ("--until", "mpm")
    log = tmp_path / "run.log"
    cmd = [str(SNAKEMAKE), "--snakefile", str(REPO / "Snakefile"), "--directory", str(work), "--cores", "2", *until]
    finished_mpm = re.compile(r"Finished jobid: (\d+) \(Rule: mpm\)")
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 600

    def mpm_progress() -> tuple[int, int]:
        text = log.read_text()
        return len(finished_mpm.findall(text)), text.count("rule mpm:")

    # Kill once two MPM jobs have finished and a later one is running.
    while proc.poll() is None and time.monotonic() < deadline:
        n_finished, n_started = mpm_progress()
        if n_finished >= 2 and n_started > n_finished:
            break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    text = log.read_text()
    finished = finished_mpm.findall(text)
    assert len(finished) >= 2, text[-3000:]
    outputs = {
        m.group(2): m.group(1)
        for m in re.finditer(r"rule mpm:\n(?:.*\n)*?    output: (.*)\n(?:.*\n)*?    jobid: (\d+)", text)
    }
    done = [f.strip() for jobid in finished for f in outputs[jobid].split(",")]
    mtimes = {f: (work / f).stat().st_mtime_ns for f in done}
    n_mpm = _job_counts(text)["mpm"]

    # A plain rerun refuses to go on: it names the files of the jobs that were cut off where
    # they exist on disk, and otherwise points at the lock the killed run left.
    refused = run_snakemake(work, *until, check=False)
    cut_off = [f.strip() for jobid in set(outputs) - set(finished) for f in outputs[jobid].split(",")]
    assert refused.returncode != 0
    if any((work / f).exists() for f in cut_off):
        assert "seem to be incomplete" in refused.stderr
        assert all(f in refused.stderr for f in cut_off if (work / f).exists())
    # (a job of another rule, e.g. lime, may have been cut off too: its file is named instead)
    if "seem to be incomplete" in refused.stderr:
        assert not any(f in refused.stderr for f in done)
    else:
        assert "cannot be locked" in refused.stderr
    resumed = run_snakemake(work, "--rerun-incomplete", *until, check=False)
    assert resumed.returncode != 0 and "cannot be locked" in resumed.stderr
    run_snakemake(work, "--unlock")
    rerun = run_snakemake(work, "--rerun-incomplete", *until)
    redone = _job_counts(rerun.stdout + rerun.stderr)
    assert redone["mpm"] == n_mpm - len(finished)
    assert not {"synthesize_study", "prepare_metadata"} & set(redone)
    assert {f: (work / f).stat().st_mtime_ns for f in done} == mtimes
    assert re.search(r"^total\s+0$", run_snakemake(work, "-n", *until).stdout, flags=re.M)  # nothing left
    local, _ = tiny_run
    for path in sorted((local / "results" / "attributions" / "mpm").rglob("*.parquet")):
        pd.testing.assert_frame_equal(pd.read_parquet(path), pd.read_parquet(work / path.relative_to(local)))


def test_rules_state_resources_that_profiles_override(tiny_workdir):
    """Rules carry the paper-scale resources (attribution methods: from the method registry;
    backbone rules ask for a GPU unless the config pins the CPU); --set-resources (what a
    profile's set-resources does) overrides them; the workflow profile profiles/default is read."""
    proc = run_snakemake(tiny_workdir, "-n", "--forceall", "--set-resources", "mpm:runtime=77")
    out = proc.stdout
    jobs = dict(re.findall(r"^rule (\w+):\n(?:    .*\n)*?    resources: (.*)$", out, flags=re.M))
    resources = {rule: dict(re.findall(r"(\w+)=([^,]+)", line)) for rule, line in jobs.items()}
    runtimes = {}
    for rule, line in re.findall(r"^rule (\w+):\n(?:    .*\n)*?    resources: (.*)$", out, flags=re.M):
        if rule in METHOD_REGISTRY:
            runtimes.setdefault(rule, set()).add(int(dict(re.findall(r"(\w+)=([^,]+)", line))["runtime"]))
    for name, method in METHOD_REGISTRY.items():
        expected = {"mem_mb": str(method.resources["mem_mb"]), "gpu": "1"}
        assert {k: resources[name][k] for k in expected} == expected, name
        # wall time: the registry's minutes per image x the images of the job (chunks of 3, 1, 2)
        per_image = method.resources["runtime"]
        assert runtimes[name] == ({77} if name == "mpm" else {per_image * n for n in (3, 1, 2)}), name
    assert resources["extract_features"]["gpu"] == "1" and resources["extract_features"]["mem_mb"] == "32000"
    assert "gpu" not in resources["train_head"] and resources["train_head"]["runtime"] == "120"
    assert "profiles/default" in proc.stderr
    cfg = yaml.safe_load((tiny_workdir / "config" / "config.yaml").read_text())
    cfg["models"]["device"] = "cpu"
    (tiny_workdir / "config" / "config.yaml").write_text(yaml.safe_dump(cfg))
    out = run_snakemake(tiny_workdir, "-n", "--forceall").stdout
    assert not re.search(r"gpu=", out)


def test_a_job_per_image_gives_the_maps_of_a_job_per_chunk(tiny_run, tmp_path):
    """attribution.images_per_job only groups work: with one image per job, the same variants
    explain the same images into the same maps (LIME draws included)."""
    local, _ = tiny_run
    work = tmp_path / "work"
    shutil.copytree(local, work, symlinks=True)
    cfg = yaml.safe_load((work / "config" / "config.yaml").read_text())
    cfg["attribution"]["images_per_job"] = 1
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(cfg))
    chunked = {m: _attribution_rows(local / "results", m, "test", "efficientnet_lite0") for m in METHODS}
    (three,) = (local / "results" / "attributions" / "mpm" / "test" / "efficientnet_lite0").glob("*-*.parquet")
    images = list(dict.fromkeys(pd.read_parquet(three)["image_id"]))  # the 3-image chunk
    assert len(images) == 3 and three.stem == f"{images[0]}-{images[-1]}"
    targets = [f"results/attributions/{m}/test/efficientnet_lite0/{i}.parquet" for m in METHODS for i in images]
    proc = run_snakemake(work, *targets)
    jobs = _job_counts(proc.stdout + proc.stderr)
    assert jobs == {m: 3 for m in METHODS}, jobs  # nothing upstream reran
    for method in METHODS:
        for image in images:
            single = pd.read_parquet(work / f"results/attributions/{method}/test/efficientnet_lite0/{image}.parquet")
            assert set(single["image_id"]) == {image}
            ref = chunked[method][chunked[method]["image_id"] == image].reset_index(drop=True)
            pd.testing.assert_frame_equal(single[ref.columns], ref, check_exact=False, rtol=1e-6, atol=1e-7)
