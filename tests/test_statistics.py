"""Bootstrap intervals against the normal approximation and hand-computed group means."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from authxai.statistics import bootstrap_ci, ci_cells, format_ci, summarize_with_ci


def test_bootstrap_ci_covers_the_mean_and_narrows_with_more_images():
    rng = np.random.default_rng(2)
    few, many = rng.normal(0.7, 0.1, 10), rng.normal(0.7, 0.1, 1000)
    mean, low, high = bootstrap_ci(few)
    assert low < mean < high and mean == pytest.approx(few.mean())
    _, low_many, high_many = bootstrap_ci(many)
    assert high_many - low_many < high - low
    # the percentile interval of the mean ≈ mean ± 1.96 SE for a large sample
    se = many.std(ddof=1) / np.sqrt(many.size)
    assert high_many - low_many == pytest.approx(2 * 1.96 * se, rel=0.1)
    assert bootstrap_ci(few, seed=3) == bootstrap_ci(few, seed=3)
    assert np.isnan(bootstrap_ci(np.array([np.nan]))[0])
    assert bootstrap_ci(np.array([0.4])) == (0.4, 0.4, 0.4)


def test_summary_averages_seeds_within_an_image_before_resampling_images():
    # arch a: image 1 has seeds (0, 2) -> 1; image 2 has seed 4 -> mean over images = 2.5, not 2
    long = pd.DataFrame(
        {
            "arch": ["a", "a", "a", "b", "b"],
            "image_id": ["1", "1", "2", "1", "2"],
            "seed": [0, 1, 0, 0, 0],
            "r": [0.0, 2.0, 4.0, 1.0, 1.0],
        }
    )
    out = summarize_with_ci(long, ["arch"], ["r"], n_boot=500).set_index("arch")
    assert out.loc["a", "r"] == pytest.approx(2.5) and out.loc["a", "n_image_id"] == 2
    assert out.loc["a", "r_low"] == pytest.approx(1.0) and out.loc["a", "r_high"] == pytest.approx(4.0)
    # both images agree: the interval has no width
    assert (out.loc["b", ["r", "r_low", "r_high"]] == 1.0).all()
    # resampling seeds instead of images: seeds are the unit
    by_seed = summarize_with_ci(long, ["arch"], ["r"], unit="seed").set_index("arch")
    assert by_seed.loc["a", "n_seed"] == 2 and by_seed.loc["a", "r"] == pytest.approx((2.0 + 2.0) / 2)
    assert ci_cells(out, ["r"]).loc["b", "r"] == format_ci(1.0, 1.0, 1.0) == "1.00 [1.00, 1.00]"


def test_image_bootstrap_of_metrics_equals_a_naive_loop():
    from authxai.evaluation import regression_metrics, with_ci
    from authxai.statistics import image_bootstrap_ci

    rng = np.random.default_rng(0)
    y = rng.normal(50, 10, 40)
    preds = y[:, None] + rng.normal(0, 5, (40, 3))
    for metric in ("rmse", "plcc", "srcc"):
        low, high = image_bootstrap_ci(y, preds, metric, n_boot=300, seed=4)
        idx = np.random.default_rng(4).integers(0, 40, size=(300, 40))
        naive = [np.mean([regression_metrics(y[i], preds[i, v])[metric] for v in range(3)]) for i in idx]
        assert (low, high) == pytest.approx(tuple(np.quantile(naive, [0.025, 0.975])), rel=1e-9)
        point = np.mean([regression_metrics(y, preds[:, v])[metric] for v in range(3)])
        assert low < point < high
    assert with_ci("0.5 ± 0.1", 0.41, 0.6) == "0.5 ± 0.1 [0.410, 0.600]"
    assert with_ci("0.5 ± 0.1", 0.41, 0.6, 40) == "0.5 ± 0.1 [0.410, 0.600]"
    # Table 7b's "0.186 ± 0.000 [0.186, 0.186]" over 2 images: no CI under MIN_CI_UNITS images
    assert with_ci("0.186 ± 0.000", 0.186, 0.186, 2) == "0.186 ± 0.000 [n too small]"


def test_no_ci_is_printed_under_min_ci_units():
    from authxai.statistics import MIN_CI_UNITS, ci_text

    assert MIN_CI_UNITS == 10
    assert ci_text(0.1, 0.2, MIN_CI_UNITS - 1) == "[n too small]"
    assert ci_text(0.1, 0.2, MIN_CI_UNITS) == "[0.100, 0.200]"
    assert format_ci(0.5, 0.4, 0.6, n=3) == "0.50 [n too small]"
    summary = pd.DataFrame({"r": [0.5, 0.5], "r_low": [0.4, 0.4], "r_high": [0.6, 0.6], "images": [3, 30]})
    assert list(ci_cells(summary, ["r"], n="images")["r"]) == ["0.50 [n too small]", "0.50 [0.40, 0.60]"]
    # every caption that mentions the rule states the threshold the code applies
    captions = Path(__file__).resolve().parents[1] / "src" / "authxai" / "report" / "captions"
    for caption in captions.glob("*.rst"):
        text = " ".join(caption.read_text().split())
        if "n too small" in text:
            assert f'"n too small" under {MIN_CI_UNITS} images' in text, caption.name


def test_across_matrix_ci_brackets_each_pair_mean():
    from authxai.consistency import across_matrix, across_matrix_ci

    across = pd.DataFrame(
        {
            "image_id": ["1", "2", "3", "1", "2", "3"],
            "arch_a": ["a"] * 3 + ["a"] * 3,
            "arch_b": ["b"] * 3 + ["c"] * 3,
            "pearson": [0.1, 0.2, 0.6, 0.5, 0.5, 0.5],
        }
    )
    archs = ["a", "b", "c"]
    mean = across_matrix(across, archs)
    low, high = across_matrix_ci(across, archs, n_boot=500)
    assert low[0, 1] == low[1, 0] and low[0, 1] < mean[0, 1] < high[0, 1]
    assert low[0, 2] == high[0, 2] == mean[0, 2] == 0.5  # the images agree: no width
    assert np.all(np.diag(low) == 1) and low[1, 2] == 0  # no b-c pair measured


def test_markdown_shows_the_ci_cell_and_the_csv_keeps_the_numbers(tmp_path):
    from authxai.tables import write_markdown_and_csv

    summary = pd.DataFrame({"arch": ["a"], "r": [0.5], "r_low": [0.4], "r_high": [0.6], "n": [3]})
    table = summary[["arch"]].assign(r=ci_cells(summary, ["r"])["r"], r_mean=0.5, r_low=0.4, r_high=0.6)
    write_markdown_and_csv(table, tmp_path / "t")
    md = (tmp_path / "t.md").read_text()
    assert "0.50 [0.40, 0.60]" in md and "r_low" not in md and "r_mean" not in md
    assert pd.read_csv(tmp_path / "t.csv")["r_low"][0] == 0.4
    # a numeric column keeps its numeric neighbours (nothing formatted to replace them)
    write_markdown_and_csv(summary, tmp_path / "s")
    assert "r_low" in (tmp_path / "s.md").read_text()


def test_correlation_ci_is_fishers_z():
    from scipy import stats

    from authxai.statistics import correlation_ci

    low, high = correlation_ci(0.3, 40)
    half = stats.norm.ppf(0.975) / np.sqrt(37)
    assert (low, high) == pytest.approx((np.tanh(np.arctanh(0.3) - half), np.tanh(np.arctanh(0.3) + half)))
    assert np.isnan(correlation_ci(0.3, 3)[0])


def test_one_statistics_module():
    """Bootstrap, CIs, correlations, Fisher's z and Mantel live in authxai.statistics only."""
    import authxai.consistency as consistency
    import authxai.evaluation as evaluation
    import authxai.psychometrics as psychometrics
    from authxai import statistics
    from authxai.consistency import MEASURES, pair_agreement

    src = Path(__file__).resolve().parents[1] / "src" / "authxai"
    assert not (src / "uncertainty.py").exists()
    for name in ("bootstrap_ci", "image_bootstrap_ci", "correlation_ci", "fisher_mean", "mantel", "pearson"):
        assert callable(getattr(statistics, name))
    # defined there, not again elsewhere
    defined = {
        path.relative_to(src).as_posix()
        for path in src.rglob("*.py")
        for line in path.read_text().splitlines()
        if line.startswith(("def bootstrap", "def mantel", "def fisher", "def spearman_brown", "def pearson("))
    }
    assert defined == {"statistics.py"}
    assert psychometrics.fisher_mean is statistics.fisher_mean and evaluation.partial_r is statistics.partial_r
    # the consistency measures are an explicit tuple, the keys of a pair's agreement
    rng = np.random.default_rng(0)
    assert tuple(pair_agreement(rng.random((8, 8)), rng.random((8, 8)))) == MEASURES == consistency.MEASURES
