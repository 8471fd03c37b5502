"""Consistency metrics and ensembles against hand-made cases and independent computations."""

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats
from torch import nn

from authxai.attribution.lime import lime
from authxai.attribution.mpm import mpm
from authxai.consistency import (
    across_consistency,
    across_matrix,
    agreement_table,
    behaviour_pairs,
    behaviour_table,
    correlation_cells,
    mean_pairwise_agreement,
    method_agreement,
    prototype_label,
    prototypes,
    relation_tables,
    relations_table,
    representational_similarity,
    top_fraction_iou,
    top_fraction_mask,
    within_consistency,
    within_pairs,
)
from authxai.ensemble import (
    bagging,
    combine_maps,
    ensemble_lime,
    ensemble_mpm,
    stacking_oof,
    stacking_weights,
)
from authxai.statistics import mantel


def test_top_fraction_mask_includes_ties_at_the_threshold():
    values = np.array([[3.0, 2.0, 2.0], [2.0, 1.0, 0.0]])
    # 25 % of 6 pixels -> k = ceil(1.5) = 2; the 2nd largest value is 2, shared by 3 pixels
    assert top_fraction_mask(values, 0.25).tolist() == [[True, True, True], [True, False, False]]
    # 5 % -> k = 1: only the maximum
    assert top_fraction_mask(values, 0.05).sum() == 1


def test_iou_on_hand_made_maps():
    a = np.array([[4.0, 3.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    b = np.array([[0.0, 3.0, 4.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    # top 25 % of 8 pixels = 2: {0, 1} vs {1, 2} -> 1 / 3
    assert top_fraction_iou(a, b, 0.25) == pytest.approx(1 / 3)
    # top 5 % -> k = 1: {0} vs {2} -> 0
    assert top_fraction_iou(a, b, 0.05) == 0.0
    assert top_fraction_iou(a, a, 0.15) == 1.0


def test_pairwise_agreement_of_identical_and_opposite_maps():
    rng = np.random.default_rng(0)
    m = rng.normal(size=(8, 8))
    same = mean_pairwise_agreement(np.stack([m, 2 * m + 1, m]))
    assert same["pearson"] == pytest.approx(1.0) and same["iou15"] == 1.0
    opposite = mean_pairwise_agreement(np.stack([m, -m]))
    assert opposite["pearson"] == pytest.approx(-1.0)
    # three maps: mean of the 3 pairwise correlations, computed independently
    maps = rng.normal(size=(3, 8, 8))
    r = np.corrcoef(maps.reshape(3, -1))
    assert mean_pairwise_agreement(maps)["pearson"] == pytest.approx((r[0, 1] + r[0, 2] + r[1, 2]) / 3)


def _maps_table(rng, archs=("a", "b", "c"), seeds=(0, 1, 2), images=("i1", "i2")):
    return pd.DataFrame(
        [
            {"arch": arch, "seed": s, "image_id": img, "map": rng.normal(size=(6, 6))}
            for arch in archs
            for s in seeds
            for img in images
        ]
    )


def test_within_and_across_consistency_and_prototypes():
    rng = np.random.default_rng(1)
    maps = _maps_table(rng)
    within = within_consistency(maps)
    assert len(within) == 6 and set(within["n_variants"]) == {3}
    protos = prototypes(maps).set_index(["arch", "image_id"])
    sub = maps[(maps["arch"] == "b") & (maps["image_id"] == "i2")]
    np.testing.assert_allclose(protos.loc[("b", "i2"), "map"], np.mean(np.stack(sub["map"].to_list()), axis=0))
    across = across_consistency(maps)
    assert len(across) == 2 * 3  # 2 images x 3 pairs of architectures
    row = across[(across["image_id"] == "i1") & (across["arch_a"] == "a") & (across["arch_b"] == "c")].iloc[0]
    expected = np.corrcoef(protos.loc[("a", "i1"), "map"].ravel(), protos.loc[("c", "i1"), "map"].ravel())[0, 1]
    assert row["pearson"] == pytest.approx(expected)
    matrix = across_matrix(across, ["a", "b", "c"])
    assert np.allclose(matrix, matrix.T) and np.allclose(np.diag(matrix), 1)
    mean_ac = across[(across["arch_a"] == "a") & (across["arch_b"] == "c")]["pearson"].mean()
    assert matrix[0, 2] == pytest.approx(mean_ac)


def test_representational_similarity():
    rng = np.random.default_rng(2)
    emb = rng.normal(size=(10, 5))
    # a rescaled, shifted copy has the same image x image correlation matrix
    assert representational_similarity([emb, 3 * emb + 1]) == pytest.approx(1.0)
    other = rng.normal(size=(10, 5))
    iu = np.triu_indices(10, 1)
    expected = np.corrcoef(np.corrcoef(emb)[iu], np.corrcoef(other)[iu])[0, 1]
    assert representational_similarity([emb, other]) == pytest.approx(expected)


def test_relations_table_correlates_consistency_with_mos_and_error():
    per_image = pd.DataFrame(
        {
            "method": "mpm",
            "arch": "a",
            "subset": "test",
            "image_id": ["i1", "i2", "i3", "i4"],
            "pearson": [0.1, 0.2, 0.3, 0.4],
            "iou5": [0.5, 0.1, 0.0, 0.2],
            "iou15": [0.3, 0.3, 0.5, 0.9],
            "iou25": [0.4, 0.6, 0.5, 0.7],
        }
    )
    variants = pd.DataFrame(
        {
            "arch": "a",
            "seed": [0, 1] * 4,
            "image_id": np.repeat(["i1", "i2", "i3", "i4"], 2),
            "y": np.repeat([10.0, 30.0, 20.0, 40.0], 2),
            "y_hat": [11, 13, 30, 30, 20, 20, 44, 36.0],
        }
    )
    table = relations_table(per_image, variants, n_boot=200).set_index("target")
    assert list(table.index) == ["mos", "mae"] and set(table["n"]) == {4}
    targets = {"mos": [10, 30, 20, 40], "mae": [2, 0, 0, 4]}  # |ŷ - y| averaged over the 2 seeds
    for target, values in targets.items():
        for measure in ("pearson", "iou5", "iou15", "iou25"):
            r = np.corrcoef(per_image[measure], values)[0, 1]
            assert table.loc[target, f"r_{measure}"] == pytest.approx(r)
            assert table.loc[target, f"p_{measure}"] == pytest.approx(stats.pearsonr(per_image[measure], values)[1])
            assert table.loc[target, f"ci_{measure}"] == "[n too small]"  # 4 images
    # Table 6 is the MOS rows, Table A.4 (image-level consistency vs MAE) the MAE rows
    tables = relation_tables(table.reset_index())
    assert set(tables) == {"table6_consistency_relations", "tableA4_consistency_vs_mae"}
    a4 = tables["tableA4_consistency_vs_mae"].iloc[0]
    assert len(tables["tableA4_consistency_vs_mae"]) == 1 and a4["target"] == "mae" and a4["n"] == 4
    r, p = stats.pearsonr(per_image["iou15"], targets["mae"])
    assert a4["r_iou15"] == pytest.approx(r) and a4["p_iou15"] == pytest.approx(p)
    assert list(tables["table6_consistency_relations"]["target"]) == ["mos"]


def test_relations_print_a_ci_from_ten_images():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=12), rng.normal(size=12)
    cells = correlation_cells(x, y, "pearson", n_boot=200)
    low, high = (float(v) for v in cells["ci_pearson"].strip("[]").split(","))
    assert low <= cells["r_pearson"] <= high
    assert correlation_cells(x[:9], y[:9], "pearson")["ci_pearson"] == "[n too small]"


def test_within_pairs_and_their_mean_equal_the_pairwise_agreement():
    maps = _maps_table(np.random.default_rng(4))
    pairs = within_pairs(maps)
    assert len(pairs) == 3 * 2 * 3  # 3 archs x 2 images x 3 pairs of seeds
    row = pairs[(pairs["arch"] == "b") & (pairs["image_id"] == "i1") & (pairs["seed_a"] == 0) & (pairs["seed_b"] == 2)]
    sub = maps[(maps["arch"] == "b") & (maps["image_id"] == "i1")].set_index("seed")["map"]
    assert row["pearson"].item() == pytest.approx(np.corrcoef(sub[0].ravel(), sub[2].ravel())[0, 1])
    assert row["iou15"].item() == pytest.approx(top_fraction_iou(sub[0], sub[2], 0.15))
    within = within_consistency(maps).set_index(["arch", "image_id"])
    expected = mean_pairwise_agreement(np.stack(sub.sort_index().to_list()))
    for key, value in expected.items():
        assert within.loc[("b", "i1"), key] == pytest.approx(value)
    assert within.loc[("b", "i1"), "n_variants"] == 3


def test_mantel_test_against_every_permutation():
    from itertools import permutations

    rng = np.random.default_rng(5)
    points = rng.normal(size=(5, 2))
    a = np.linalg.norm(points[:, None] - points[None], axis=-1)
    b = a + rng.normal(0, 0.3, size=a.shape)
    b = (b + b.T) / 2
    upper = np.triu_indices(5, 1)
    r = np.corrcoef(a[upper], b[upper])[0, 1]
    exact = np.mean(
        [
            abs(np.corrcoef(a[upper], b[np.ix_(order, order)][upper])[0, 1]) >= abs(r) - 1e-12
            for order in map(list, permutations(range(5)))
        ]
    )
    res = mantel(a, b, n_permutations=4000, seed=0)
    assert res["r"] == pytest.approx(r) and res["pairs"] == 10
    assert res["p"] == pytest.approx(exact, abs=0.02)
    assert np.isnan(mantel(a[:2, :2], b[:2, :2])["r"])  # one pair: no correlation
    # a missing pair value (a constant map has no correlation): r over the rest, p undefined —
    # not the minimum p that NaN permutations would give
    gap = a.copy()
    gap[0, 1] = gap[1, 0] = np.nan
    res = mantel(gap, b, n_permutations=200)
    keep = np.isfinite(gap[upper])
    assert res["r"] == pytest.approx(np.corrcoef(gap[upper][keep], b[upper][keep])[0, 1]) and np.isnan(res["p"])


def test_behaviour_pairs_and_table_against_numpy():
    rng = np.random.default_rng(6)
    seeds, images = [0, 1, 2, 3], [f"t{k}" for k in range(12)]
    y = rng.normal(50, 10, len(images))
    preds = {s: y + rng.normal(0, 2 + s, len(images)) for s in seeds}
    variants = pd.DataFrame(
        [
            {"arch": "a", "seed": s, "image_id": i, "role": "test", "y": y[k], "y_hat": preds[s][k]}
            for s in seeds
            for k, i in enumerate(images)
        ]
        + [{"arch": "a", "seed": s, "image_id": "x", "role": "train", "y": 0.0, "y_hat": 99.0} for s in seeds]
    )
    behaviour = behaviour_pairs(variants).set_index(["seed_a", "seed_b"])
    assert len(behaviour) == 6
    a, b = preds[1], preds[3]
    assert behaviour.loc[(1, 3), "prediction_r"] == pytest.approx(np.corrcoef(a, b)[0, 1])
    assert behaviour.loc[(1, 3), "prediction_mad"] == pytest.approx(np.abs(a - b).mean())
    assert behaviour.loc[(1, 3), "error_mae"] == pytest.approx((np.abs(a - y).mean() + np.abs(b - y).mean()) / 2)
    # map agreement per image and pair; the table averages over images first
    map_pairs = pd.DataFrame(
        [
            {"method": "mpm", "arch": "a", "image_id": img, "seed_a": sa, "seed_b": sb, "pearson": v, "iou15": v / 2}
            for sa, sb in behaviour.index
            for img, v in (("i1", rng.random()), ("i2", rng.random()))
        ]
    )
    table = behaviour_table(map_pairs, behaviour.reset_index(), n_permutations=200).set_index("map_measure")
    per_pair = map_pairs.groupby(["seed_a", "seed_b"])["pearson"].mean().loc[behaviour.index]
    row = table.loc["pearson"]
    assert row["pairs"] == 6 and row["map_agreement"] == pytest.approx(per_pair.mean())
    assert row["prediction_mad"] == pytest.approx(behaviour["prediction_mad"].mean())
    assert row["r_prediction_r"] == pytest.approx(np.corrcoef(per_pair, behaviour["prediction_r"])[0, 1])
    assert row["r_error_mae"] == pytest.approx(np.corrcoef(per_pair, behaviour["error_mae"])[0, 1])
    assert 0 < row["p_prediction_r"] <= 1
    assert table.loc["iou15", "map_agreement"] == pytest.approx(per_pair.mean() / 2)


def test_method_agreement_of_ensemble_lime_and_mpm_maps():
    rng = np.random.default_rng(7)

    def table(kinds_maps):
        return pd.DataFrame(
            [
                {"image_id": img, "kind": kind, "height": 4, "width": 6, "map": m.ravel().astype(np.float32)}
                for (img, kind), m in kinds_maps.items()
            ]
        )

    keys = [("i1", "bagging"), ("i1", "stacking"), ("i2", "bagging")]
    lime_maps = {k: rng.normal(size=(4, 6)) for k in keys}
    mpm_maps = {k: rng.normal(size=(4, 6)) for k in keys[:2]}  # i2 has no MPM map: left out
    per_image = method_agreement(table(lime_maps), table(mpm_maps)).set_index(["image_id", "kind"])
    assert list(per_image.index) == keys[:2]
    a, b = lime_maps[keys[1]].astype(np.float32), mpm_maps[keys[1]].astype(np.float32)
    assert per_image.loc[keys[1], "pearson"] == pytest.approx(np.corrcoef(a.ravel(), b.ravel())[0, 1], abs=1e-6)
    assert per_image.loc[keys[1], "iou25"] == pytest.approx(top_fraction_iou(a, b, 0.25))
    summary = agreement_table(per_image.reset_index(), ["kind"], n_boot=200).set_index("kind")
    assert summary.loc["bagging", "n"] == 1
    assert summary.loc["bagging", "pearson_mean"] == pytest.approx(per_image.loc[keys[0], "pearson"])
    other = table({("i1", "bagging"): rng.normal(size=(4, 6))}).assign(height=6, width=4)
    with pytest.raises(ValueError, match="differ in size"):
        method_agreement(table({("i1", "bagging"): rng.normal(size=(4, 6))}), other)


def test_prototype_label_names_the_variants_averaged():
    assert prototype_label([0, 1, 2], [0, 1, 2]) == "all variants"
    assert prototype_label([0], [0, 1, 2]) == "seed 0"
    assert prototype_label([2, 0], [0, 1, 2]) == "seeds 0, 2"


def test_stacking_out_of_fold_recovers_a_known_linear_case():
    rng = np.random.default_rng(3)
    x = rng.normal(50, 10, size=(60, 3))
    y = 2 * x[:, 0] - x[:, 1] + 0.5 * x[:, 2] + 3
    np.testing.assert_allclose(stacking_oof(x, y, n_folds=5, seed=0, alpha=0), y, atol=1e-8)
    fit = stacking_weights(x, y, alpha=0)
    np.testing.assert_allclose(fit.weights, [2, -1, 0.5], atol=1e-10)
    assert fit.intercept == pytest.approx(3)
    # out-of-fold: an image's prediction does not use its own target
    y_noisy = y + rng.normal(0, 5, 60)
    oof = stacking_oof(x, y_noisy, n_folds=5, seed=0, alpha=0)
    in_sample = stacking_weights(x, y_noisy, alpha=0)
    assert np.mean((oof - y_noisy) ** 2) > np.mean((x @ in_sample.weights + in_sample.intercept - y_noisy) ** 2)
    np.testing.assert_allclose(bagging(x), x.mean(axis=1))


class Scaled(nn.Module):
    """A small scalar CNN; ``k`` picks its random initialization."""

    def __init__(self, k: int):
        super().__init__()
        torch.manual_seed(k)
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4, 1)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).mean(dim=(2, 3))).squeeze(-1)


class Ensemble(nn.Module):
    def __init__(self, models, weights, intercept):
        super().__init__()
        self.models, self.weights, self.intercept = nn.ModuleList(models), weights, intercept

    def forward(self, x):
        return sum(w * m(x) for w, m in zip(self.weights, self.models)) + self.intercept


def test_ensemble_mpm_equals_mpm_run_on_an_ensemble_module():
    models = [Scaled(k).eval() for k in range(3)]
    weights = np.array([0.5, -0.2, 1.3])
    image = torch.randn(1, 3, 20, 20)
    drops = np.stack([mpm(m, image, patch_sizes=(3, 7), stride=1)[0].double().numpy() for m in models])
    direct = mpm(Ensemble(models, weights.tolist(), 7.0).double(), image.double(), patch_sizes=(3, 7))[0].numpy()
    np.testing.assert_allclose(ensemble_mpm(drops, weights), direct, atol=1e-5)
    np.testing.assert_allclose(combine_maps(drops, np.full(3, 1 / 3)), drops.mean(axis=0))


def test_ensemble_lime_equals_lime_run_on_an_ensemble_module():
    from authxai.attribution.lime import lime_predictions, perturbations

    models = [Scaled(k).eval() for k in range(3)]
    weights, intercept = np.array([0.5, -0.2, 1.3]), 7.0
    image = torch.randn(3, 16, 16)
    segments = np.repeat(np.repeat(np.arange(16).reshape(4, 4), 4, axis=0), 4, axis=1)
    z = perturbations(16, 200, 5)
    rows = []
    for k, m in enumerate(models):
        preds = lime_predictions(lambda x, m=m: m(x).reshape(len(x), 1), image, segments, z)[:, 0]
        rows.append(
            {
                "arch": "a",
                "seed": k,
                "image_id": "i",
                "height": 16,
                "width": 16,
                "segments": segments.ravel(),
                "n_segments": 16,
                "num_samples": 200,
                "ensemble_seed": 5,
                "ensemble_predictions": preds,
            }
        )
    ens = ensemble_lime(rows, weights, intercept)
    direct = lime(Ensemble(models, weights.tolist(), intercept), image, num_samples=200, seed=5, segments=segments)
    np.testing.assert_allclose(ens.coefficients, direct.coefficients, atol=1e-4)
    assert ens.r2 == pytest.approx(direct.r2, abs=1e-5)
    rows[1]["ensemble_seed"] = 6
    with pytest.raises(ValueError, match="do not share perturbations"):
        ensemble_lime(rows, weights)


def test_stacking_weights_round_trip_in_variant_order(tmp_path):
    from authxai.ensemble import StackingWeights, load_stacking, save_stacking

    weights = StackingWeights(np.array([0.25, -0.5, 1.25]), 3.5)
    variants = [("vgg16", 0), ("vgg16", 1), ("resnet152", 0)]
    save_stacking(weights, variants, "cv", tmp_path / "s.json", {"seed": 1})
    back, order = load_stacking(tmp_path / "s.json")
    assert order == variants
    np.testing.assert_array_equal(back.weights, weights.weights)
    assert back.intercept == 3.5
