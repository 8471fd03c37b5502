"""Appendix tables (unpruned vs pruned heads, LIME fidelity) and Table 7 with its best single
variant, against independent recomputations."""

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from authxai.ensemble import best_variant, ensemble_pools, ensemble_predictions, predictions_on_test, table7
from authxai.evaluation import (
    head_parameter_table,
    head_predictions,
    lime_fidelity_table,
    performance_cells,
    pruning_table,
    stopped_at_cap,
)
from authxai.models import backbones as bb
from authxai.models.heads import RegressionHead, n_parameters


def test_performance_cells_against_scipy():
    rng = np.random.default_rng(0)
    y = rng.normal(50, 10, 30)
    preds = np.stack([y + rng.normal(0, s, 30) for s in (2, 4, 8)], axis=1)
    cells = performance_cells(y, preds, n_boot=200)
    plcc = [stats.pearsonr(y, preds[:, v])[0] for v in range(3)]
    rmse = [np.sqrt(np.mean((y - preds[:, v]) ** 2)) for v in range(3)]
    assert cells["plcc_mean"] == pytest.approx(np.mean(plcc))
    assert cells["rmse_mean"] == pytest.approx(np.mean(rmse))
    assert cells["srcc_mean"] == pytest.approx(np.mean([stats.spearmanr(y, preds[:, v])[0] for v in range(3)]))
    assert cells["plcc"].startswith(f"{np.mean(plcc):.3f} ± {np.std(plcc, ddof=1):.3f} [")
    single = performance_cells(y, preds[:, 0], n_boot=200)
    assert single["plcc"].startswith(f"{plcc[0]:.3f} [")


def _variants(rng, archs=("a", "b"), seeds=(0, 1, 2), n=25):
    y = rng.normal(50, 10, n)
    rows = []
    for k, arch in enumerate(archs):
        for s in seeds:
            y_hat = y + rng.normal(0, 3 + 2 * k + s, n)
            rows += [
                {"arch": arch, "seed": s, "image_id": f"g{i:02d}", "role": "test", "y": y[i], "y_hat": y_hat[i]}
                for i in range(n)
            ]
            rows.append({"arch": arch, "seed": s, "image_id": "tr", "role": "train", "y": 1.0, "y_hat": 2.0})
    return pd.DataFrame(rows), y


def test_table7_per_architecture_with_its_best_variant_and_ensembles_of_trained_backbones_only():
    rng = np.random.default_rng(1)
    variants, y = _variants(rng, archs=("a", "b", "ctrl"))
    wide, y_test = predictions_on_test(variants)
    assert wide.shape == (25, 9) and np.allclose(y_test, y)
    pools = ensemble_pools(wide, ["ctrl"])
    assert set(pools) == {"trained", "control"} and pools["trained"].shape[1] == 6
    ensembles = {
        pool: ensemble_predictions(members.to_numpy(), y_test, folds=5, seed=0, alpha=0)
        for pool, members in pools.items()
    }
    table = table7(wide, y_test, ensembles, ["a", "b", "ctrl"], ["ctrl"], n_boot=200).set_index("model")
    assert list(table.index) == ["a", "b", "ctrl", "bagging", "stacking", "bagging (control)", "stacking (control)"]
    assert list(table["backbones"]) == ["trained", "trained", "control", "trained", "trained", "control", "control"]
    # each architecture's best variant, found independently: lowest RMSE over its seeds on the test images
    test = variants[variants["role"] == "test"]
    rmse = {key: np.sqrt(np.mean((g["y"] - g["y_hat"]) ** 2)) for key, g in test.groupby(["arch", "seed"])}
    plcc = {key: stats.pearsonr(g["y"], g["y_hat"])[0] for key, g in test.groupby(["arch", "seed"])}
    for arch in ("a", "b", "ctrl"):
        best = min(range(3), key=lambda s, arch=arch: rmse[(arch, s)])
        assert best_variant(wide[arch], y_test) == best
        assert table.loc[arch, "best_variant"] == f"seed {best}"
        assert table.loc[arch, "best_rmse"] == pytest.approx(rmse[(arch, best)])
        assert table.loc[arch, "rmse_mean"] == pytest.approx(np.mean([rmse[(arch, s)] for s in range(3)]))
        assert table.loc[arch, "plcc_mean"] == pytest.approx(np.mean([plcc[(arch, s)] for s in range(3)]))
        assert table.loc[arch, "variants"] == 3
    # bagging = the mean prediction of the trained variants only; the control's its own row
    trained = test[test["arch"] != "ctrl"].groupby("image_id")["y_hat"].mean()
    control = test[test["arch"] == "ctrl"].groupby("image_id")["y_hat"].mean()
    everything = test.groupby("image_id")["y_hat"].mean()
    assert table.loc["bagging", "rmse_mean"] == pytest.approx(np.sqrt(np.mean((y - trained) ** 2)))
    assert table.loc["bagging (control)", "plcc_mean"] == pytest.approx(stats.pearsonr(y, control)[0])
    assert table.loc["bagging", "rmse_mean"] != pytest.approx(np.sqrt(np.mean((y - everything) ** 2)))
    assert table.loc["stacking", "variants"] == 6 and table.loc["stacking (control)", "variants"] == 3
    assert ensemble_pools(wide[["a"]], ["ctrl"]).keys() == {"trained"}


def test_lime_fidelity_averages_variants_per_image_then_images():
    lime = pd.DataFrame(
        {
            "regime": ["test"] * 6 + ["val"] * 2,
            "arch": ["a"] * 8,
            "seed": [0, 1, 0, 1, 0, 1, 0, 1],
            "image_id": ["i1", "i1", "i2", "i2", "i3", "i3", "g1", "g1"],
            "r2": [0.2, 0.4, 0.5, 0.7, 0.9, 0.9, 0.1, 0.3],
        }
    )
    table = lime_fidelity_table(lime, n_boot=200).set_index("regime")
    per_image = [0.3, 0.6, 0.9]
    row = table.loc["test"]
    assert row["images"] == 3 and row["fits"] == 6 and row["r2_min"] == pytest.approx(0.2)
    assert row["r2_mean"] == pytest.approx(np.mean(per_image))
    assert row["r2"].startswith(f"{np.mean(per_image):.3f} ± {np.std(per_image, ddof=1):.3f} [")
    assert row["r2_max"] == pytest.approx(0.9)
    assert table.loc["val", "r2_mean"] == pytest.approx(0.2) and table.loc["val", "r2_max"] == pytest.approx(0.3)
    # fewer than 10 images: no CI printed
    assert row["r2"].endswith("[n too small]")


def test_ensemble_lime_fidelity_groups_by_ensemble():
    r2 = np.linspace(0.1, 0.95, 12)
    lime = pd.DataFrame(
        {
            "kind": ["bagging"] * 12 + ["stacking"] * 12,
            "image_id": [f"g{i}" for i in range(12)] * 2,
            "r2": [*r2, *r2 / 2],
        }
    )
    table = lime_fidelity_table(lime, n_boot=200, by=("kind",)).set_index("kind")
    assert (
        list(table.index) == ["bagging", "stacking"] and (table["images"] == 12).all() and (table["fits"] == 12).all()
    )
    assert table.loc["stacking", "r2_mean"] == pytest.approx(np.mean(r2 / 2))
    assert table.loc["bagging", "r2_min"] == pytest.approx(0.1) and table.loc["bagging", "r2_max"] == pytest.approx(
        0.95
    )
    # 12 images: a CI is printed, and it is the bootstrap CI of the mean over images
    low, high = (float(v) for v in table.loc["bagging", "r2"].split("[")[1].rstrip("]").split(","))
    assert low < np.mean(r2) < high


@pytest.mark.parametrize("name", sorted(bb.REGISTRY))
def test_head_parameter_table_counts_what_torch_counts(name):
    spec = bb.REGISTRY[name]
    about = {"embed_dim": spec.embed_dim, "head_hidden": spec.head_hidden, "target_layer": spec.target_layer}
    row = head_parameter_table({name: {**about, "control": spec.control}}).iloc[0]
    assert row["parameters"] == n_parameters(RegressionHead(spec.embed_dim, spec.head_hidden))
    assert row["embedding_dim"] == spec.embed_dim and row["target_layer"] == spec.target_layer
    assert row["head"].count("Linear(") == len(spec.head_hidden) + 1
    assert row["backbone"] == ("control (random init)" if spec.control else "trained")


def test_head_predictions_and_pruning_table():
    torch.manual_seed(0)
    heads = {s: RegressionHead(8, (4,)).eval() for s in (0, 1)}
    ids = [f"i{k}" for k in range(10)]
    embedding = torch.randn(10, 8)
    roles = pd.DataFrame(
        [{"seed": s, "image_id": i, "role": "test" if k >= 6 else "train"} for s in (0, 1) for k, i in enumerate(ids)]
    )
    roles = roles[roles["image_id"] != "i3"]  # an image a split does not hold is not predicted
    mos = pd.Series(np.linspace(20, 80, 10), index=ids)
    unpruned = head_predictions(embedding, ids, heads, roles, mos)
    assert len(unpruned) == 2 * 9
    with torch.no_grad():
        expected = heads[1](embedding[[9]])[0].item()
    row = unpruned[(unpruned["seed"] == 1) & (unpruned["image_id"] == "i9")].iloc[0]
    assert row["y_hat"] == pytest.approx(expected, abs=1e-6) and row["y"] == pytest.approx(80)

    pruned = unpruned.assign(y_hat=unpruned["y_hat"] + 1.0)
    predictions = pd.concat(
        [unpruned.assign(heads="unpruned"), pruned.assign(heads="pruned")], ignore_index=True
    ).assign(regime="test", arch="a")
    shares = pd.DataFrame(
        {"regime": "test", "arch": "a", "seed": [0, 1], "removed": [3, 2], "removed_share": [0.01, 0.03]}
    )
    table = pruning_table(predictions, shares, n_boot=200, max_steps=3).set_index("heads")
    # seed 0 removed 3 channels under a cap of 3 (cut short), seed 1 stopped at 2 by itself
    assert table.loc["pruned", "runs_at_cap"] == 1 and table.loc["pruned", "stopped_at_cap"] == "1/2 (cap 3)"
    assert table.loc["unpruned", "stopped_at_cap"] == ""
    assert stopped_at_cap(shares["removed"], None) == 0 and stopped_at_cap(shares["removed"], 2) == 2
    test = unpruned[unpruned["role"] == "test"]
    for heads_kind, shift in (("unpruned", 0.0), ("pruned", 1.0)):
        rmse = [np.sqrt(np.mean((g["y"] - g["y_hat"] - shift) ** 2)) for _, g in test.groupby("seed")]
        assert table.loc[heads_kind, "rmse_mean"] == pytest.approx(np.mean(rmse))
        assert table.loc[heads_kind, "test_images"] == 4 and table.loc[heads_kind, "variants"] == 2
    assert table.loc["pruned", "channels_removed_pct_mean"] == pytest.approx(2.0)
    assert table.loc["unpruned", "channels_removed_pct_mean"] == 0.0
    # a constant shift changes RMSE but not the correlations
    assert table.loc["pruned", "plcc_mean"] == pytest.approx(table.loc["unpruned", "plcc_mean"])
