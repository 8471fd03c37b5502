"""LIME's within-architecture consistency from split halves of one draw, against hand-made maps,
the lime package's fit and a simulation with true per-variant draws (torch-free)."""

from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge
from sklearn.metrics import pairwise_distances

from authxai.attribution.lime_surrogate import (
    explain_from_predictions,
    kernel_weights,
    perturbations,
    split_half_explanations,
)
from authxai.consistency import within_table
from authxai.consistency_lime import VariantMaps, estimate_label, image_within, lime_within_tables
from authxai.statistics import spearman_brown


def _lime_base_weights(z, reference):
    d = pairwise_distances(z, reference.reshape(1, -1), metric="cosine").ravel()
    return np.sqrt(np.exp(-(d**2) / 0.25**2))


def test_kernel_weights_measure_to_the_all_ones_vector_so_a_half_keeps_its_weights():
    z = perturbations(12, 40, seed=5)
    full = kernel_weights(z)
    np.testing.assert_allclose(full, _lime_base_weights(z, z[0]))  # the lime package: distance to z[0]
    np.testing.assert_allclose(kernel_weights(z[20:]), full[20:])  # half B has no all-ones row
    assert not np.allclose(_lime_base_weights(z[20:], z[20]), full[20:])  # what z[0] of a half would give


def test_split_half_refits_are_ridge_fits_on_each_half_and_the_full_draw_is_unchanged():
    rng = np.random.default_rng(0)
    z = perturbations(10, 61, seed=2)
    y = z @ rng.normal(size=10) + np.sin(3 * z @ rng.normal(size=10))
    segments = np.arange(10).repeat(3).reshape(5, 6)
    full = explain_from_predictions(z, y, segments)
    ridge = Ridge(alpha=1.0).fit(z, y, sample_weight=_lime_base_weights(z, z[0]))
    np.testing.assert_allclose(full.coefficients, ridge.coef_, atol=1e-10)
    np.testing.assert_allclose(full.map, ridge.coef_[segments].astype(np.float32))
    a, b = split_half_explanations(z, y, segments)
    for half, rows in ((a, slice(0, 30)), (b, slice(30, 61))):
        ridge = Ridge(alpha=1.0).fit(z[rows], y[rows], sample_weight=_lime_base_weights(z, z[0])[rows])
        np.testing.assert_allclose(half.coefficients, ridge.coef_, atol=1e-10)


def test_the_consistency_and_ensemble_jobs_refit_lime_without_importing_torch():
    import subprocess
    import sys

    code = (
        "import sys; import authxai.consistency_lime, authxai.ensemble, authxai.attribution.methods as m; "
        "assert m.METHODS['lime'].within is not None; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_spearman_brown_doubles_the_length():
    assert spearman_brown(0.5) == pytest.approx(2 / 3)
    assert spearman_brown(0.6, factor=1.0) == pytest.approx(0.6)
    assert spearman_brown(spearman_brown(0.3)) == pytest.approx(spearman_brown(0.3, factor=4.0))


def _r(a, b):
    return np.corrcoef(np.ravel(a), np.ravel(b))[0, 1]


def test_image_within_on_hand_made_maps_shared_and_independent():
    rng = np.random.default_rng(3)
    maps = [rng.normal(size=(6, 7)) for _ in range(9)]
    variants = [VariantMaps(s, maps[3 * s], maps[3 * s + 1], maps[3 * s + 2], 11, 300) for s in range(3)]
    pairs, image = image_within(variants)
    rel = np.mean([_r(v.half_a, v.half_b) for v in variants])
    cross = {
        (i, j): (_r(variants[i].half_a, variants[j].half_b) + _r(variants[i].half_b, variants[j].half_a)) / 2
        for i, j in combinations(range(3), 2)
    }
    r_half = np.mean(list(cross.values()))
    # rel may be <= 0 on noise: the projection factor is 2 / (1 + max(rel, 0))
    factor = 2 / (1 + max(rel, 0))
    assert [p["pearson"] for p in pairs] == pytest.approx([cross[k] * factor for k in sorted(cross)])
    assert pairs[0]["pearson_shared"] == pytest.approx(_r(variants[0].full, variants[1].full))
    assert image["pearson"] == pytest.approx(r_half * factor)
    assert image["lime_reliability"] == pytest.approx(2 * rel / (1 + rel))
    assert image["n_variants"] == 3 and image["estimate"].startswith("independent: split halves")
    # a smooth case with positive reliability: noise-corrected = r_half / rel_half exactly
    base = rng.normal(size=(6, 7))
    smooth = [
        VariantMaps(s, base, base + 0.5 * rng.normal(size=(6, 7)), base + 0.5 * rng.normal(size=(6, 7)), 4, 300)
        for s in range(3)
    ]
    pairs, image = image_within(smooth)
    rel = np.mean([_r(v.half_a, v.half_b) for v in smooth])
    r_half = np.mean([(_r(a.half_a, b.half_b) + _r(a.half_b, b.half_a)) / 2 for a, b in combinations(smooth, 2)])
    assert image["pearson_noise_corrected"] == pytest.approx(r_half / rel)
    assert image["pearson"] == pytest.approx(r_half * 2 / (1 + rel))
    assert image["pearson_shared"] == pytest.approx(1.0)  # the full maps are one map: a shared draw's r
    # independent draws: r and IoU of the full maps, reliability still from the halves
    independent = [
        VariantMaps(v.seed, v.full * (1 + v.seed) + v.half_a, v.half_a, v.half_b, v.seed, 300) for v in smooth
    ]
    pairs, image = image_within(independent)
    raw = np.mean([_r(a.full, b.full) for a, b in combinations(independent, 2)])
    assert image["pearson"] == pytest.approx(raw)
    assert image["pearson_noise_corrected"] == pytest.approx(raw / image["lime_reliability"])
    assert np.isnan(image["pearson_shared"]) and image["estimate"] == "independent draws per variant (300 samples)"


def test_estimate_label_names_the_draws_and_sample_sizes():
    shared = estimate_label([True, True], [300, 300, 300])
    assert shared == (
        "independent: split halves of one shared 300-sample draw, Pearson r projected to 300 samples "
        "(Spearman–Brown), IoU at 150 samples"
    )
    assert estimate_label([False], [1000, 1000]) == "independent draws per variant (1000 samples)"
    assert estimate_label([True, False], [300, 300]).count(";") == 1


# --------------------------------------------------------------------------- simulation
K, HEIGHT, WIDTH, N, VARIANTS, IMAGES = 40, 20, 24, 300, 4, 40


def _segments(rng):
    cuts = np.sort(rng.choice(np.arange(1, HEIGHT * WIDTH), K - 1, replace=False))
    return np.repeat(np.arange(K), np.diff(np.r_[0, cuts, HEIGHT * WIDTH])).reshape(HEIGHT, WIDTH)


def _variant(image: int, seed: int, w: np.ndarray):
    """A known model of the superpixel mask: linear weights w + a seed-specific deviation, and
    pairwise interactions (shared by the image's variants) the linear surrogate cannot fit, so
    that LIME has sampling noise."""
    wv = w + 0.7 * np.random.default_rng([image, seed]).normal(size=K)
    q = 2.0 * np.random.default_rng([image, 99]).normal(size=(K, K)) / np.sqrt(K)
    return lambda z: z @ wv + np.einsum("nk,kl,nl->n", z - 0.5, q, z - 0.5)


def _simulated_rows(draw) -> tuple[pd.DataFrame, float]:
    """LIME rows of every variant and image on the draws ``draw(image, seed)``, and the mean
    over images of the maps' mean pairwise r (numpy)."""
    rows, per_image = [], []
    for m in range(IMAGES):
        rng = np.random.default_rng(1000 + m)
        segments, w = _segments(rng), rng.normal(size=K)
        maps = []
        for s in range(VARIANTS):
            z = perturbations(K, N, draw(m, s))
            y = _variant(m, s, w)(z)
            res = explain_from_predictions(z, y, segments)
            maps.append(res.map)
            rows.append(
                {
                    "arch": "sim",
                    "image_id": f"im{m}",
                    "seed": s,
                    "height": HEIGHT,
                    "width": WIDTH,
                    "map": res.map.ravel(),
                    "segments": segments.ravel(),
                    "n_segments": K,
                    "perturbation_seed": draw(m, s),
                    "num_samples": N,
                    "predictions": y,
                }
            )
        per_image.append(np.mean([_r(a, b) for a, b in combinations(maps, 2)]))
    return pd.DataFrame(rows), float(np.mean(per_image))


def test_split_halves_of_a_shared_draw_estimate_the_r_of_independent_draws():
    """The route against the truth: the independent within r is the mean r of maps each fit on
    its own 300-sample draw; the split-half estimate from one shared draw per image matches it
    (within 0.03 here: the projection assumes the surrogate's noise halves when the samples
    double), while the shared draw's raw r is inflated (0.69 vs 0.59 here)."""
    shared_rows, shared_raw = _simulated_rows(lambda m, s: 7 + m)
    independent_rows, truth = _simulated_rows(lambda m, s: 10_000 + 100 * m + s)
    _, shared = lime_within_tables(shared_rows)
    _, independent = lime_within_tables(independent_rows)
    assert shared["pearson_shared"].mean() == pytest.approx(shared_raw)
    assert shared["pearson"].mean() == pytest.approx(truth, abs=0.03)
    assert shared_raw > truth + 0.07
    # per-variant draws: the table's r is the raw one, the noise floor agrees with the shared run's
    assert independent["pearson"].mean() == pytest.approx(truth)
    assert independent["lime_reliability"].mean() == pytest.approx(shared["lime_reliability"].mean(), abs=0.03)
    assert (independent["pearson_noise_corrected"] > independent["pearson"]).all()
    assert set(shared["estimate"]) == {estimate_label([True], [N])}
    # Table 5: the estimate and the noise floor beside r; no shared-draw column without one
    similarity = pd.DataFrame({"arch": ["sim"], "prediction_similarity": [1.0], "rsm_similarity": [1.0]})
    table = within_table(shared, similarity, n_boot=50)
    assert table.loc[0, "estimate"] == estimate_label([True], [N])
    assert table.loc[0, "pearson_mean"] == pytest.approx(shared["pearson"].mean())
    assert table.loc[0, "lime_reliability_mean"] == pytest.approx(shared["lime_reliability"].mean())
    shown = [c for c in table.columns if not c.endswith("_mean")]
    assert shown[shown.index("pearson") + 1] == "lime_reliability"
    assert "pearson_shared" not in within_table(independent, similarity, n_boot=50)
