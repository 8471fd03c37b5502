"""Appendix tables (unpruned vs pruned heads, LIME fidelity) and Table 7 with its best single
variant, against independent recomputations."""

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from authxai.ensemble import best_variant, ensemble_predictions, predictions_on_test, table7
from authxai.evaluation import head_predictions, lime_fidelity_table, performance_cells, pruning_table
from authxai.models.heads import RegressionHead


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


def test_table7_adds_the_best_single_variant_and_the_ensembles():
    rng = np.random.default_rng(1)
    variants, y = _variants(rng)
    wide, y_test = predictions_on_test(variants)
    assert wide.shape == (25, 6) and np.allclose(y_test, y)
    ensembles = ensemble_predictions(wide.to_numpy(), y_test, folds=5, seed=0, alpha=0)
    table = table7(wide, y_test, ensembles, ["a", "b"], n_boot=200).set_index("model")
    assert list(table.index) == ["a", "b", "best variant", "bagging", "stacking"]
    # the best variant, found independently: highest PLCC over every (arch, seed) on the test images
    test = variants[variants["role"] == "test"]
    plcc = {key: stats.pearsonr(g["y"], g["y_hat"])[0] for key, g in test.groupby(["arch", "seed"])}
    best = max(plcc, key=plcc.get)
    assert best_variant(wide, y_test) == best
    assert table.loc["best variant", "variant"] == f"{best[0]} seed {best[1]}"
    assert table.loc["best variant", "plcc_mean"] == pytest.approx(plcc[best])
    assert table.loc["best variant", "variants"] == 1
    mean_pred = test.groupby("image_id")["y_hat"].mean()
    assert table.loc["bagging", "plcc_mean"] == pytest.approx(stats.pearsonr(y, mean_pred)[0])
    assert table.loc["a", "plcc_mean"] == pytest.approx(np.mean([plcc[("a", s)] for s in range(3)]))
    assert table.loc["stacking", "variants"] == 6


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
    assert table.loc["val", "r2_mean"] == pytest.approx(0.2)


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
    shares = pd.DataFrame({"regime": "test", "arch": "a", "seed": [0, 1], "removed_share": [0.01, 0.03]})
    table = pruning_table(predictions, shares, n_boot=200).set_index("heads")
    test = unpruned[unpruned["role"] == "test"]
    for heads_kind, shift in (("unpruned", 0.0), ("pruned", 1.0)):
        rmse = [np.sqrt(np.mean((g["y"] - g["y_hat"] - shift) ** 2)) for _, g in test.groupby("seed")]
        assert table.loc[heads_kind, "rmse_mean"] == pytest.approx(np.mean(rmse))
        assert table.loc[heads_kind, "test_images"] == 4 and table.loc[heads_kind, "variants"] == 2
    assert table.loc["pruned", "channels_removed_pct_mean"] == pytest.approx(2.0)
    assert table.loc["unpruned", "channels_removed_pct_mean"] == 0.0
    # a constant shift changes RMSE but not the correlations
    assert table.loc["pruned", "plcc_mean"] == pytest.approx(table.loc["unpruned", "plcc_mean"])
