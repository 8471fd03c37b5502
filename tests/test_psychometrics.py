"""Psychometric statistics against independent computations and the paper's numbers."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from authxai import psychometrics as ps
from authxai.statistics import fisher_mean, spearman_brown


def test_spearman_brown_and_ceiling_reproduce_the_paper():
    # Paper §5.1: split-half 0.61/0.50/0.53 -> SB 0.76/0.67/0.69 -> ceilings 0.87/0.82/0.83.
    split = np.array([0.61, 0.50, 0.53])
    sb = spearman_brown(split)
    np.testing.assert_allclose(np.round(sb, 2), [0.76, 0.67, 0.69])
    np.testing.assert_allclose(np.round(ps.noise_ceiling(sb), 2), [0.87, 0.82, 0.83])


def test_fisher_mean_is_tanh_of_mean_arctanh():
    rs = np.array([0.2, 0.5, 0.9])
    assert fisher_mean(rs) == pytest.approx(np.tanh(np.arctanh(rs).mean()))
    assert fisher_mean(rs) > rs.mean()  # Fisher averaging weights high r more


def test_split_half_matches_a_hand_split():
    rng = np.random.default_rng(1)
    mat = rng.normal(size=(25, 40)) + rng.normal(size=40)
    r, rs = ps.split_half_reliability(mat, n_splits=1, seed=7)
    perm = np.random.default_rng(7).permutation(25)
    a, b = mat[perm[:12]].mean(0), mat[perm[12:]].mean(0)
    assert r == pytest.approx(np.corrcoef(a, b)[0, 1])
    assert len(rs) == 1


def test_split_half_recovers_the_reliability_of_a_known_generative_model():
    # Items with true variance 1, raters with noise variance 9: expected split-half r of
    # 12- vs 13-rater means is 1 / sqrt((1 + 9/12)(1 + 9/13)).
    rng = np.random.default_rng(0)
    true = rng.normal(size=4000)
    mat = true[None] + rng.normal(0, 3, size=(25, 4000))
    r, _ = ps.split_half_reliability(mat, n_splits=20, seed=0)
    assert r == pytest.approx(1 / np.sqrt((1 + 9 / 12) * (1 + 9 / 13)), abs=0.015)


def test_zscore_is_per_participant_and_dimension_with_sample_sd():
    ratings = pd.DataFrame(
        {
            "participant": ["a"] * 4 + ["b"] * 4,
            "image_id": list("wxyz") * 2,
            "dimension": ["quality"] * 8,
            "raw": [1, 2, 3, 5, 4, 4, 5, 2],
        }
    )
    out = ps.zscore_ratings(ratings)
    for _, sub in out.groupby("participant"):
        np.testing.assert_allclose(sub["z"], stats.zscore(sub["raw"], ddof=1))
    np.testing.assert_allclose(out["scaled"], np.clip((out["z"] + 3) / 6 * 100, 0, 100))


def test_constant_rater_gets_zero_z_not_nan():
    ratings = pd.DataFrame(
        {"participant": ["a"] * 3, "image_id": list("xyz"), "dimension": ["quality"] * 3, "raw": [3, 3, 3]}
    )
    assert (ps.zscore_ratings(ratings)["z"] == 0).all()


def test_mos_is_mean_z_rescaled():
    ratings = ps.zscore_ratings(
        pd.DataFrame(
            {
                "participant": ["a", "a", "b", "b"],
                "image_id": ["x", "y", "x", "y"],
                "dimension": ["authenticity"] * 4,
                "raw": [1, 5, 2, 4],
            }
        )
    )
    mos = ps.mos_from_ratings(ratings).set_index("image_id")
    # each rater's z: x = -0.707, y = +0.707 -> MOS = (z + 3) / 6 * 100
    assert mos.loc["x", "mos_authenticity"] == pytest.approx((-np.sqrt(0.5) + 3) / 6 * 100)
    assert mos.loc["y", "n_raters"] == 2


def test_kept_vs_removed_paired_t_and_d():
    rng = np.random.default_rng(3)
    rows = []
    for p in range(10):
        for i in range(20):
            rows.append(
                {
                    "participant": f"p{p}",
                    "image_id": f"i{i}",
                    "dimension": "authenticity",
                    "raw": float(rng.integers(1, 6) + (1 if i < 10 else 0)),
                }
            )
    ratings = ps.zscore_ratings(pd.DataFrame(rows))
    kept = pd.Series({f"i{i}": i < 10 for i in range(20)})
    res = ps.kept_vs_removed(ratings, kept).iloc[0]
    per = ratings.assign(k=ratings["image_id"].map(kept)).groupby(["participant", "k"])["raw"].mean().unstack()
    t, p = stats.ttest_rel(per[True], per[False])
    diff = per[True] - per[False]
    assert res["t"] == pytest.approx(t) and res["p"] == pytest.approx(p)
    assert res["cohens_d"] == pytest.approx(diff.mean() / diff.std(ddof=1))
    assert res["df"] == 9


def test_bimodality_delta_bic_sign():
    rng = np.random.default_rng(0)
    two = np.concatenate([rng.normal(30, 4, 500), rng.normal(70, 4, 500)])
    one = rng.normal(50, 10, 1000)
    assert ps.bimodality_delta_bic(two)[0] > 100
    assert ps.bimodality_delta_bic(one)[0] < 0


def test_mos_summary_on_the_real_aigciqa2023_table(aigc_metadata):
    images, _ = aigc_metadata
    summary = ps.mos_summary(images)
    r = summary.query("analysis == 'quality_authenticity' and statistic == 'pearson_r'")["value"].item()
    kept = images[images["kept"]]
    assert r == pytest.approx(stats.pearsonr(kept["mos_quality"], kept["mos_authenticity"])[0])
    assert round(r, 3) == 0.863  # data/aigciqa2023/README.md
    assert summary.query("analysis == 'bimodality'")["n"].eq(1368).all()


def test_markdown_tables_keep_small_p_values(tmp_path):
    from authxai.tables import write_markdown_and_csv

    df = pd.DataFrame({"measure": ["a", "b"], "value": [0.12345, 2.0], "p": [1.9e-07, 0.5]})
    write_markdown_and_csv(df, tmp_path / "t")
    md = (tmp_path / "t.md").read_text()
    assert "1.9e-07" in md and "0.123" in md and "0.000" not in md
    assert pd.read_csv(tmp_path / "t.csv")["p"][0] == pytest.approx(1.9e-07)
