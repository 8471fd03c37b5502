"""Panels of the study's figures, drawn directly (no Snakemake) from tiny tables written to ``tmp_path``.

Each test builds the inputs a figure gets in the workflow (its ``inputs`` declaration in
authxai.figures, beside its drawing function), with the column layout of the scripts and library functions that
write them, draws the figure with :func:`authxai.figures.draw_figure`, and checks that it has
the right panels: how many axes show something, the titles, axis labels, legend entries and
panel letters that say what each panel is, and that every number a panel prints (a
correlation, a t statistic, a matrix cell) is the one computed here, independently, from the
same inputs. The photo figures' pixels are tested in tests/test_figures.py and the MOS-only
path of Figure 2 in tests/test_psychometrics_figure.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba
from PIL import Image
from scipy import stats

from authxai.attribution.maps import flat, flat_per_scale
from authxai.attribution.methods import METHODS
from authxai.consistency import across_consistency
from authxai.data.adapters import empty_ratings, table_dataset
from authxai.figures import ModelView, draw_figure
from authxai.psychometrics import psychometrics_tables
from authxai.statistics import bootstrap_ci
from authxai.tables import write_parquet

#: Two architectures; figures drop the ``efficientnet_`` prefix from their names.
ARCHS = ("efficientnet_lite0", "random_lite0")
SHORT = {"efficientnet_lite0": "lite0", "random_lite0": "random_lite0", "resnet18": "resnet18"}
#: Three architectures for the matrix figures: a 3 × 3 matrix can put a pair's value in the wrong cell.
MATRIX_ARCHS = ("efficientnet_lite0", "random_lite0", "resnet18")
SIDE = 8
#: A number as the figures print it (f-string formats .2f, +.1f, .2g).
NUMBER = r"([-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?)"
LABEL = {name: method.label for name, method in METHODS.items()}


@pytest.fixture(autouse=True)
def close_figures():
    """Close every figure a test drew."""
    yield
    plt.close("all")


# ----------------------------------------------------------------- reading a drawn figure


def is_colorbar(ax) -> bool:
    """Whether ``ax`` is a colorbar (matplotlib labels the axes it adds for one so)."""
    return ax.get_label() == "<colorbar>"


def panels(fig) -> list:
    """The figure's axes that are not colorbars, in the order the figure made them (row-major)."""
    return [ax for ax in fig.axes if not is_colorbar(ax)]


def drawn_panels(fig) -> list:
    """The non-colorbar axes that show something (an image, points, lines or patches)."""
    return [ax for ax in panels(fig) if ax.has_data()]


def colorbar_count(fig) -> int:
    """How many colorbars the figure has."""
    return sum(is_colorbar(ax) for ax in fig.axes)


def grid_position(ax) -> tuple[int, int]:
    """(row, column) of a panel in the figure's grid."""
    spec = ax.get_subplotspec()
    return spec.rowspan.start, spec.colspan.start


def panel_letters(ax) -> list[str]:
    """Texts written in axes coordinates on ``ax``: its panel letter, if it has one."""
    return [t.get_text() for t in ax.texts if t.get_transform() is ax.transAxes]


def cell_texts(ax) -> dict[tuple[int, int], str]:
    """Texts written into the cells of a matrix panel, by (row, column) of the cell."""
    return {
        (round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
        for t in ax.texts
        if t.get_transform() is not ax.transAxes
    }


def tick_labels(ax, axis: str = "x") -> list[str]:
    """The tick labels of one axis of a panel."""
    ticks = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [t.get_text() for t in ticks]


def legend_labels(legend) -> list[str]:
    """The entries of a legend, in order."""
    return [t.get_text() for t in legend.get_texts()]


def printed(pattern: str, text: str) -> list[float]:
    """The numbers ``text`` prints where the regular expression ``pattern`` matches it in full
    (its groups are the numbers); fails naming both when it does not."""
    match = re.fullmatch(pattern, text, flags=re.DOTALL)
    assert match, f"{text!r} does not read {pattern!r}"
    return [float(g) for g in match.groups()]


def assert_prints(value: float, expected: float, decimals: int) -> None:
    """A number printed with ``decimals`` decimals is ``expected`` rounded (half a unit of slack)."""
    assert value == pytest.approx(expected, abs=0.5 * 10**-decimals + 1e-9)


def assert_prints_2g(value: float, expected: float) -> None:
    """A number printed with two significant digits (``.2g``) is ``expected`` rounded."""
    assert value == pytest.approx(expected, rel=0.05)


def write_table(tmp: Path, name: str, table: pd.DataFrame | list[dict]) -> str:
    """``table`` written to ``tmp/<name>.parquet`` the way the workflow writes tables; its path."""
    frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(table)
    return str(write_parquet(frame, tmp / f"{name}.parquet"))


# ----------------------------------------------------------------- statistics computed here


def pearson_r(x, y) -> float:
    """Pearson r of two sequences, with numpy."""
    return float(np.corrcoef(np.asarray(x, float), np.asarray(y, float))[0, 1])


def pearson_p(r: float, n: int) -> float:
    """Two-sided p of a Pearson r over n pairs, from the t distribution."""
    t = r * np.sqrt((n - 2) / (1 - r**2))
    return float(2 * stats.t.sf(abs(t), n - 2))


def paired_t(kept: np.ndarray, removed: np.ndarray) -> tuple[float, int, float, float]:
    """Paired t, its degrees of freedom, two-sided p and Cohen's d (mean / SD of the differences)."""
    diff = np.asarray(kept, float) - np.asarray(removed, float)
    n = len(diff)
    sd = diff.std(ddof=1)
    t = diff.mean() / (sd / np.sqrt(n))
    return float(t), n - 1, float(2 * stats.t.sf(abs(t), n - 1)), float(diff.mean() / sd)


def welch_t(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Welch's t and its two-sided p (Welch–Satterthwaite degrees of freedom)."""
    va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
    t = (np.mean(a) - np.mean(b)) / np.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return float(t), float(2 * stats.t.sf(abs(t), df))


def delta_bic(values: np.ndarray) -> float:
    """BIC of one Gaussian minus BIC of a two-component mixture (> 0 favours two modes)."""
    from sklearn.mixture import GaussianMixture

    x = np.asarray(values, float).reshape(-1, 1)
    bic = [GaussianMixture(k, n_init=3, random_state=0).fit(x).bic(x) for k in (1, 2)]
    return float(bic[0] - bic[1])


def pair_stat(across: pd.DataFrame, a: str, b: str, column: str, stat) -> float:
    """``stat`` (np.mean, np.min, np.max) over images of ``column`` for the pair {a, b}."""
    pair = ((across["arch_a"] == a) & (across["arch_b"] == b)) | ((across["arch_a"] == b) & (across["arch_b"] == a))
    return float(stat(across.loc[pair, column].to_numpy()))


# ----------------------------------------------------------------- psychometrics (Figure 2, A.1)

#: (category, challenge) of the images the study removes as non-realistic.
EXCLUDED = ("Animals", "Imagination")
N_IMAGES, N_RATERS = 16, 8
RATED = ("quality", "authenticity")


def raw_study(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A small rated study: 16 images (4 of them in the excluded combination) and 8 raters'
    1–5 ratings of quality and authenticity (no correspondence ratings), the two dimensions
    partly correlated (so Pearson r and Spearman rho differ in the second decimal)."""
    rng = np.random.default_rng(seed)
    images = pd.DataFrame(
        {
            "image_id": [f"im{i:02d}" for i in range(N_IMAGES)],
            "path": [f"img/im{i:02d}.png" for i in range(N_IMAGES)],
            "category": ["Animals" if i % 2 else "People" for i in range(N_IMAGES)],
            "challenge": ["Imagination" if i % 4 in (1, 2) else "Basic" for i in range(N_IMAGES)],
        }
    )
    authenticity = rng.normal(size=N_IMAGES)
    latent = {"authenticity": authenticity, "quality": 0.6 * authenticity + 0.8 * rng.normal(size=N_IMAGES)}
    raw = pd.DataFrame(
        [
            {
                "participant": f"r{p}",
                "image_id": image,
                "dimension": dim,
                "rating": float(np.clip(np.round(3 + latent[dim][i] + rng.normal(scale=0.8)), 1, 5)),
            }
            for p in range(N_RATERS)
            for i, image in enumerate(images["image_id"])
            for dim in RATED
        ]
    )
    return images, raw


def kept_ids(raw_images: pd.DataFrame) -> set[str]:
    """Ids of the images outside the excluded combination, read from the raw image table."""
    excluded = (raw_images["category"] == EXCLUDED[0]) & (raw_images["challenge"] == EXCLUDED[1])
    return set(raw_images.loc[~excluded, "image_id"])


def z_by_hand(raw: pd.DataFrame) -> pd.Series:
    """Each rating as a z-score within its participant and dimension (sample SD)."""
    grouped = raw.groupby(["participant", "dimension"])["rating"]
    return (raw["rating"] - grouped.transform("mean")) / grouped.transform(lambda x: x.std(ddof=1))


@pytest.fixture
def rated_study(tmp_path: Path) -> dict:
    """The rated study through the dataset adapter and the psychometrics stage, written as the
    inputs of Figures 2 and A.1; also the raw tables to compute the expected numbers from."""
    raw_images, raw = raw_study()
    images, ratings = table_dataset(raw_images, raw, {}, {EXCLUDED})
    tables = psychometrics_tables(images, ratings, n_splits=5, seed=0, subset="kept")
    paths = {"images": write_table(tmp_path, "metadata", images)}
    for name in ("mos_summary", "mean_sd", "kept_vs_removed", "kept_vs_removed_participants"):
        paths[name] = write_table(tmp_path, name, tables[name])
    return {"paths": paths, "images": images, "raw_images": raw_images, "raw": raw}


def test_fig2_ratings_path_panels_state_the_statistics_of_the_ratings(rated_study):
    """A: one distribution per rated dimension with its ΔBIC; B: quality vs authenticity with
    its r; C: per-image mean vs SD of the z-scored authenticity ratings with r and p."""
    paths = rated_study["paths"]
    fig = draw_figure("fig2_psychometrics", {k: paths[k] for k in ("images", "mos_summary", "mean_sd")})
    axes = drawn_panels(fig)
    assert len(panels(fig)) == len(axes) == 3 and colorbar_count(fig) == 0
    assert [panel_letters(ax) for ax in axes] == [["A"], ["B"], ["C"]]

    kept_set = kept_ids(rated_study["raw_images"])
    images = rated_study["images"].set_index("image_id")
    kept = images.loc[sorted(kept_set)]
    assert 0 < len(kept_set) < N_IMAGES

    hist = axes[0]
    assert hist.get_title() == f"Rating distributions (kept, n={len(kept_set)})"
    assert (hist.get_xlabel(), hist.get_ylabel()) == ("MOS (0–100)", "images")
    assert len(hist.patches) == len(RATED)  # one step histogram per rated dimension, none for correspondence
    entries = legend_labels(hist.get_legend())
    assert len(entries) == len(RATED)
    for entry, dim in zip(entries, RATED):
        (shown,) = printed(rf"{dim} \(ΔBIC {NUMBER}\)", entry)
        assert_prints(shown, delta_bic(kept[f"mos_{dim}"]), 1)

    scatter = axes[1]
    (r_shown,) = printed(rf"Quality vs authenticity \(r = {NUMBER}\)", scatter.get_title())
    assert_prints(r_shown, pearson_r(kept["mos_quality"], kept["mos_authenticity"]), 2)
    assert (scatter.get_xlabel(), scatter.get_ylabel()) == ("quality MOS", "authenticity MOS")
    assert len(scatter.collections[0].get_offsets()) == len(kept_set)

    raw = rated_study["raw"].assign(z=z_by_hand(rated_study["raw"]))
    authenticity = raw[(raw["dimension"] == "authenticity") & raw["image_id"].isin(kept_set)]
    per_image = authenticity.groupby("image_id")["z"].agg(["mean", "std"])
    mean_sd = axes[2]
    r_shown, p_shown = printed(rf"Authenticity: mean vs SD \(r = {NUMBER}, p = {NUMBER}\)", mean_sd.get_title())
    r = pearson_r(per_image["mean"], per_image["std"])
    assert_prints(r_shown, r, 2)
    assert_prints_2g(p_shown, pearson_p(r, len(per_image)))
    assert (mean_sd.get_xlabel(), mean_sd.get_ylabel()) == ("mean rating (z)", "SD across participants (z)")
    assert len(mean_sd.collections[0].get_offsets()) == len(kept_set)


def test_figA1_ratings_path_shows_each_participant_with_the_paired_test(rated_study):
    """One panel per rated dimension: a line per participant from their mean rating of kept to
    that of removed images, titled with the paired t(df), p and Cohen's d of those means."""
    paths = rated_study["paths"]
    inputs = {
        "images": paths["images"],
        "kept_vs_removed": paths["kept_vs_removed"],
        "participants": paths["kept_vs_removed_participants"],
    }
    fig = draw_figure("figA1_kept_vs_removed", inputs)
    axes = drawn_panels(fig)
    assert len(panels(fig)) == len(axes) == len(RATED)
    assert fig.get_suptitle() == "Kept vs removed (non-realistic) images"

    raw = rated_study["raw"]
    kept_set = kept_ids(rated_study["raw_images"])
    n_kept = len(kept_set)
    for ax, dim in zip(axes, RATED):
        sub = raw[raw["dimension"] == dim]
        means = sub.groupby(["participant", sub["image_id"].isin(kept_set)])["rating"].mean().unstack()
        t, df, p, d = paired_t(means[True].to_numpy(), means[False].to_numpy())
        pattern = rf"{dim}\nt\({NUMBER}\) = {NUMBER}, p = {NUMBER}, d = {NUMBER}"
        df_shown, t_shown, p_shown, d_shown = printed(pattern, ax.get_title())
        assert df_shown == df == N_RATERS - 1
        assert_prints(t_shown, t, 2)
        assert_prints_2g(p_shown, p)
        assert_prints(d_shown, d, 2)
        assert ax.get_ylabel() == "participant mean raw rating (1–5)"
        assert tick_labels(ax) == [f"kept (n={n_kept})", f"removed (n={N_IMAGES - n_kept})"]
        assert len(ax.lines) == N_RATERS  # one line per participant
        kept_points, removed_points = (c.get_offsets() for c in ax.collections)
        assert sorted(kept_points[:, 1]) == pytest.approx(sorted(means[True]))
        assert sorted(removed_points[:, 1]) == pytest.approx(sorted(means[False]))


def mos_only_figA1_inputs(tmp_path: Path, images: pd.DataFrame) -> dict[str, str]:
    """Figure A.1's inputs for an image table without raw ratings (the MOS-only path)."""
    tables = psychometrics_tables(images, empty_ratings())
    return {
        "images": write_table(tmp_path, "metadata", images),
        "kept_vs_removed": write_table(tmp_path, "kept_vs_removed", tables["kept_vs_removed"]),
        "participants": write_table(tmp_path, "participants", tables["kept_vs_removed_participants"]),
    }


def test_figA1_without_removed_images_says_so_instead_of_printing_nan(tmp_path):
    """A dataset whose exclusion removes nothing has nothing to compare: each panel says so."""
    images = pd.DataFrame(
        {
            "image_id": [f"m{i}" for i in range(6)],
            "kept": True,
            "mos_quality": np.linspace(20, 80, 6),
            "mos_authenticity": np.linspace(30, 70, 6),
            "mos_correspondence": np.nan,
        }
    )
    inputs = mos_only_figA1_inputs(tmp_path, images)
    titles = [ax.get_title() for ax in panels(draw_figure("figA1_kept_vs_removed", inputs))]
    assert titles == [
        f"{dim}\nno removed images (dataset.exclusion removes none)" for dim in ("quality", "authenticity")
    ]
    assert not any("nan" in title for title in titles)


def test_figA1_mos_only_path_compares_the_image_mos_with_welch_t(tmp_path):
    """Without raw ratings: one violin panel per dimension that has MOS, titled with Welch's t
    and p of the kept against the removed images' MOS."""
    rng = np.random.default_rng(4)
    kept = np.array([True] * 9 + [False] * 5)
    images = pd.DataFrame(
        {
            "image_id": [f"m{i}" for i in range(len(kept))],
            "kept": kept,
            "mos_quality": rng.uniform(20, 80, len(kept)) + 10 * kept,
            "mos_authenticity": rng.uniform(20, 80, len(kept)) + 25 * kept,
            "mos_correspondence": np.nan,
        }
    )
    inputs = mos_only_figA1_inputs(tmp_path, images)
    fig = draw_figure("figA1_kept_vs_removed", inputs)
    axes = drawn_panels(fig)
    assert len(panels(fig)) == len(axes) == 2  # quality and authenticity; correspondence has no MOS
    for ax, dim in zip(axes, ("quality", "authenticity")):
        t, p = welch_t(images.loc[kept, f"mos_{dim}"], images.loc[~kept, f"mos_{dim}"])
        t_shown, p_shown = printed(rf"{dim}\nWelch t = {NUMBER}, p = {NUMBER} \(image MOS\)", ax.get_title())
        assert_prints(t_shown, t, 2)
        assert_prints_2g(p_shown, p)
        assert ax.get_ylabel() == "MOS"
        assert tick_labels(ax) == ["kept (n=9)", "removed (n=5)"]
        assert not ax.lines  # no per-participant lines without participants


# ----------------------------------------------------------------- Experiment 1 (predicted vs observed)


def test_fig_pred_vs_obs_titles_state_the_test_plcc_of_the_variants(tmp_path):
    """Left: every variant's test predictions (one colour per seed) titled with the architecture,
    the number of variants and their mean ± SD test PLCC; right: the variants' mean prediction
    per image with its PLCC and RMSE. Training images are not in either."""
    rng = np.random.default_rng(2)
    arch, seeds = ARCHS[1], (0, 1, 2)
    test_ids, train_ids = [f"t{i}" for i in range(6)], [f"n{i}" for i in range(5)]
    mos = dict(zip(test_ids + train_ids, rng.uniform(10, 90, 11)))
    rows = []
    for seed in seeds:
        for image in test_ids + train_ids:
            is_test = image in test_ids
            noise = rng.normal(scale=12) if is_test else 60 - mos[image]  # training rows anti-correlated
            rows.append(
                {
                    "arch": arch,
                    "seed": seed,
                    "image_id": image,
                    "role": "test" if is_test else "train",
                    "y": mos[image],
                    "quality": 50.0,
                    "y_hat": mos[image] + noise,
                }
            )
    predictions = pd.DataFrame(rows)
    fig = draw_figure(f"fig_pred_vs_obs_{arch}", {"predictions": write_table(tmp_path, arch, predictions)})
    axes = drawn_panels(fig)
    assert len(panels(fig)) == len(axes) == 2

    test = predictions[predictions["role"] == "test"]
    plcc = [pearson_r(sub["y"], sub["y_hat"]) for _, sub in test.groupby("seed")]
    mean_shown, sd_shown = printed(rf"{arch}: 3 variants, test PLCC {NUMBER} ± {NUMBER}", axes[0].get_title())
    assert_prints(mean_shown, np.mean(plcc), 2)
    assert_prints(sd_shown, np.std(plcc, ddof=1), 2)
    assert len(axes[0].collections) == len(seeds)  # one colour per variant
    assert sum(len(c.get_offsets()) for c in axes[0].collections) == len(seeds) * len(test_ids)

    mean = test.groupby("image_id")[["y", "y_hat"]].mean()
    plcc_shown, rmse_shown = printed(rf"mean over variants: PLCC {NUMBER}, RMSE {NUMBER}", axes[1].get_title())
    assert_prints(plcc_shown, pearson_r(mean["y"], mean["y_hat"]), 2)
    assert_prints(rmse_shown, float(np.sqrt(np.mean((mean["y"] - mean["y_hat"]) ** 2))), 2)
    assert len(axes[1].collections[0].get_offsets()) == len(test_ids)
    for ax in axes:
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("observed authenticity MOS", "predicted")
        (identity,) = ax.lines
        x, y = identity.get_data()
        assert list(x) == list(y)  # the identity line


# ----------------------------------------------------------------- across architectures (Figure 3, A.3, A.4)


def across_table(method: str, seed: int, n_images: int = 4) -> pd.DataFrame:
    """A method's across-architecture table as consistency_across.py writes it: per image and
    pair of :data:`MATRIX_ARCHS`, Pearson r and top-p% IoU of the prototypes of random 8 × 8 maps."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(size=(n_images, SIDE, SIDE))
    maps = pd.DataFrame(
        [
            {
                "arch": arch,
                "seed": variant,
                "image_id": f"img{i}",
                "map": shared[i] * (k + 1) / 3 + rng.normal(size=(SIDE, SIDE)),
            }
            for k, arch in enumerate(MATRIX_ARCHS)
            for variant in (0, 1)
            for i in range(n_images)
        ]
    )
    return across_consistency(maps).assign(method=method, prototypes="all variants")


@pytest.fixture
def across_inputs(tmp_path: Path) -> tuple[dict[str, dict[str, str]], dict[str, pd.DataFrame]]:
    """Across tables of Grad-CAM and LIME (no MPM), listed LIME first; their paths and tables."""
    tables = {"lime": across_table("lime", 1), "gradcam": across_table("gradcam", 2)}
    return {"across": {m: write_table(tmp_path, f"across_{m}", t) for m, t in tables.items()}}, tables


def assert_matrix(ax, across: pd.DataFrame, column: str, stat, with_ci: bool = False) -> None:
    """A matrix panel: tick labels are the short architecture names, the diagonal reads 1.00
    and each off-diagonal cell (both halves) ``stat`` over images of ``column`` for its pair,
    with a 95% CI of the mean inside the range of the values when ``with_ci``."""
    short = [SHORT[a] for a in MATRIX_ARCHS]
    assert tick_labels(ax, "x") == short and tick_labels(ax, "y") == short
    cells = cell_texts(ax)
    assert sorted(cells) == [(i, j) for i in range(len(MATRIX_ARCHS)) for j in range(len(MATRIX_ARCHS))]
    for (i, j), text in cells.items():
        if i == j:
            assert text == "1.00"
            continue
        expected = pair_stat(across, MATRIX_ARCHS[i], MATRIX_ARCHS[j], column, stat)
        if not with_ci:
            (value,) = printed(NUMBER, text)
            assert_prints(value, expected, 2)
            continue
        value, low, high = printed(rf"{NUMBER}\n\[{NUMBER}, {NUMBER}\]", text)
        assert_prints(value, expected, 2)
        values = [pair_stat(across, MATRIX_ARCHS[i], MATRIX_ARCHS[j], column, s) for s in (np.min, np.max)]
        assert values[0] - 0.005 <= low <= value <= high <= values[1] + 0.005 and low < high


def test_fig3_one_matrix_per_method_with_mean_r_and_ci(across_inputs):
    """A panel per method present, in the registry's order (Grad-CAM before LIME whatever the
    input order), lettered A, B, titled with the number of images; cells: mean r [95% CI]."""
    paths, tables = across_inputs
    fig = draw_figure("fig3_across_arch", paths)
    axes = drawn_panels(fig)
    assert len(panels(fig)) == len(axes) == colorbar_count(fig) == 2
    assert [ax.get_title() for ax in axes] == [
        "Grad-CAM (mean r [95% CI], 4 images)",
        "LIME (mean r [95% CI], 4 images)",
    ]
    assert [panel_letters(ax) for ax in axes] == [["A"], ["B"]]
    for ax, method in zip(axes, ("gradcam", "lime")):
        assert ax.images[0].get_clim() == (-1.0, 1.0)
        assert_matrix(ax, tables[method], "pearson", np.mean, with_ci=True)


def test_figA3_min_and_max_rows_per_method(across_inputs):
    """Two rows per method column: the minimum (top) and maximum (bottom) r over images."""
    paths, tables = across_inputs
    fig = draw_figure("figA3_across_range", paths)
    axes = drawn_panels(fig)
    assert len(panels(fig)) == len(axes) == colorbar_count(fig) == 4
    for ax in axes:
        row, col = grid_position(ax)
        method = ("gradcam", "lime")[col]
        stat = ("min", "max")[row]
        assert ax.get_title() == f"{LABEL[method]}: {stat} r over images"
        assert_matrix(ax, tables[method], "pearson", {"min": np.min, "max": np.max}[stat])


def test_figA4_one_row_per_iou_fraction(across_inputs):
    """Rows p = 5, 15, 25 %, one column per method: the mean top-p% IoU over images, on a 0–1 scale."""
    paths, tables = across_inputs
    fig = draw_figure("figA4_across_iou", paths)
    axes = drawn_panels(fig)
    assert len(panels(fig)) == len(axes) == colorbar_count(fig) == 6
    for ax in axes:
        row, col = grid_position(ax)
        method, percent = ("gradcam", "lime")[col], (5, 15, 25)[row]
        assert ax.get_title() == f"{LABEL[method]}: top {percent}% IoU"
        assert ax.images[0].get_clim() == (0.0, 1.0)
        assert_matrix(ax, tables[method], f"iou{percent}", np.mean)


# ----------------------------------------------------------------- consistency vs localization (Figure 6)


def localization_rows(method: str, rng: np.random.Generator, images: list[str]) -> list[dict]:
    """A localization table as localization.py writes it: per map, scores and identifying
    columns. Only the variants of the test regime count for Figure 6; the val-regime variants,
    the prototypes and the ensembles get scores that would change its r."""
    rows = []
    for arch in ARCHS:
        for image in images:
            for seed in (0, 1):
                rows.append({"arch": arch, "seed": seed, "image_id": image, "regime": "test", "kind": "variant"})
                rows.append({"arch": arch, "seed": seed, "image_id": image, "regime": "val", "kind": "variant"})
            rows.append({"arch": arch, "seed": -1, "image_id": image, "regime": "test", "kind": "prototype"})
    rows += [{"arch": "ensemble", "seed": -1, "image_id": i, "regime": "val", "kind": "bagging"} for i in images]
    scores = rng.uniform(0.2, 1.0, size=(len(rows), 3))
    return [
        {**row, "auroc": a, "energy": e, "pointing": float(p > 0.5), "mask_fraction": 0.1, "method": method}
        for row, (a, e, p) in zip(rows, scores)
    ]


def within_rows(method: str, rng: np.random.Generator, images: list[str]) -> pd.DataFrame:
    """A per-image within-architecture table as consistency_within.py writes it."""
    return pd.DataFrame(
        [
            {
                "arch": arch,
                "image_id": image,
                "n_variants": 2,
                "pearson": rng.uniform(-0.2, 0.9),
                "iou5": rng.uniform(),
                "iou15": rng.uniform(),
                "iou25": rng.uniform(),
                "method": method,
                "subset": "test",
            }
            for arch in ARCHS
            for image in images
        ]
    )


def test_fig6_one_scatter_per_method_with_r_over_images_and_architectures(tmp_path):
    """A panel per method with a within table (registry order), lettered; one point per image and
    architecture (a series per architecture), titled with r and n of within-architecture
    consistency against the mean AUROC of the test-regime variants' maps."""
    rng = np.random.default_rng(6)
    images = [f"img{i}" for i in range(5)]
    inputs, expected = {"within": {}, "localization": {}}, {}
    for method in ("mpm", "gradcam"):
        within = within_rows(method, rng, images)
        localization = pd.DataFrame(localization_rows(method, rng, images))
        inputs["within"][method] = write_table(tmp_path, f"within_{method}", within)
        inputs["localization"][method] = write_table(tmp_path, f"localization_{method}", localization)
        variants = localization[(localization["kind"] == "variant") & (localization["regime"] == "test")]
        auroc = variants.groupby(["arch", "image_id"])["auroc"].mean()
        every_map = localization[localization["arch"] != "ensemble"].groupby(["arch", "image_id"])["auroc"].mean()
        keys = list(zip(within["arch"], within["image_id"]))
        expected[method] = pearson_r(within["pearson"], auroc.loc[keys])
        unfiltered = pearson_r(within["pearson"], every_map.loc[keys])
        assert f"{unfiltered:.2f}" != f"{expected[method]:.2f}"  # the filter shows in the printed r
    fig = draw_figure("fig6_consistency_vs_localization", inputs)
    axes = drawn_panels(fig)
    assert len(panels(fig)) == len(axes) == 2
    assert [panel_letters(ax) for ax in axes] == [["A"], ["B"]]
    for ax, method in zip(axes, ("gradcam", "mpm")):
        r_shown, n_shown = printed(rf"{LABEL[method]}: r = {NUMBER} \(n = {NUMBER}\)", ax.get_title())
        assert n_shown == len(ARCHS) * len(images)
        assert_prints(r_shown, expected[method], 2)
        assert ax.get_xlabel() == "within-architecture consistency (r)"
        assert ax.get_ylabel() == "cue localization AUROC"
        assert ax.get_ylim() == (0.0, 1.0)
        assert legend_labels(ax.get_legend()) == [SHORT[a] for a in ARCHS]
        assert [len(c.get_offsets()) for c in ax.collections] == [len(images)] * len(ARCHS)
        (chance,) = ax.lines
        assert list(chance.get_ydata()) == [0.5, 0.5]


# ----------------------------------------------------------------- sanity checks (Figure 7)

#: Levels of the sanity maps with the number of backbone stages re-initialized (sanity.py).
SANITY_LEVELS = {"original": 0, "head": 0, "data": 0, "top1": 1, "all": 6}
#: Column titles of Figure 7A, least to most destroyed model, the data test last.
SANITY_COLUMN_TITLES = ["original", "head re-init", "+ top 1\nstages", "all stages", "permuted\nratings"]
SANITY_THRESHOLD = 0.4


def sanity_inputs(tmp: Path, methods: tuple[str, ...]) -> tuple[dict[str, str], pd.DataFrame, pd.DataFrame]:
    """Sanity maps of the first architecture on two images and both architectures' similarity
    tables, as sanity.py writes them; the inputs, the maps and the stacked similarities."""
    rng = np.random.default_rng(7)
    maps = pd.DataFrame(
        [
            {
                "method": method,
                "image_id": image,
                "level": level,
                "stages": stages,
                "map": flat(rng.normal(size=(SIDE, SIDE))),
                "arch": ARCHS[0],
                "height": SIDE,
                "width": SIDE,
            }
            for method in methods
            for image in ("img_b", "img_a")
            for level, stages in SANITY_LEVELS.items()
        ]
    )
    inputs = {"maps": write_table(tmp, "sanity_maps", maps), "sanity": {}}
    similarities = []
    for arch in ARCHS:
        similarity = pd.DataFrame(
            [
                {
                    "method": method,
                    "image_id": image,
                    "level": level,
                    "stages": stages,
                    "spearman_abs": rng.uniform(-0.5, 1.0),
                    "ssim": rng.uniform(),
                    "arch": arch,
                    "seed": 0,
                    "threshold": SANITY_THRESHOLD,
                }
                for method in methods
                for image in ("img_b", "img_a")
                for level, stages in SANITY_LEVELS.items()
                if level != "original"
            ]
        )
        inputs["sanity"][arch] = write_table(tmp, f"sanity_{arch}", similarity)
        similarities.append(similarity)
    return inputs, maps, pd.concat(similarities, ignore_index=True)


def test_fig7_rows_per_method_columns_per_level_and_similarity_curves(tmp_path):
    """(A) per method a row of the first image's |map| (max-normalized) at each level, columns
    titled from original to permuted ratings; (B) per method the mean Spearman r over images of
    each architecture per level with its bootstrap 95% CI over images (a band), and the pass
    threshold."""
    methods = ("gradcam", "lime")
    inputs, maps, similarity = sanity_inputs(tmp_path, methods)
    inputs["images"], view = photos_with_cues(tmp_path, ["img_a", "img_b"], cued=set())
    fig = draw_figure("fig7_sanity_checks", inputs, view)
    axes = drawn_panels(fig)
    n_columns = len(SANITY_LEVELS) + 1
    assert len(panels(fig)) == len(axes) == len(methods) * n_columns and colorbar_count(fig) == 0
    grid = {grid_position(ax): ax for ax in axes}
    assert fig.get_suptitle() == f"Sanity checks: |map| of {ARCHS[0]} on img_a as the model is randomized"
    assert panel_letters(grid[0, 0]) == ["A"] and panel_letters(grid[0, n_columns - 1]) == ["B"]

    assert [grid[0, j].get_title() for j in range(n_columns - 1)] == SANITY_COLUMN_TITLES
    level_order = ["original", "head", "top1", "all", "data"]
    for i, method in enumerate(methods):
        assert grid[i, 0].get_ylabel() == LABEL[method]
        for j, level in enumerate(level_order):
            row = maps[(maps["method"] == method) & (maps["image_id"] == "img_a") & (maps["level"] == level)].iloc[0]
            magnitude = np.abs(np.asarray(row["map"])).reshape(SIDE, SIDE)
            np.testing.assert_allclose(grid[i, j].images[0].get_array(), magnitude / magnitude.max(), rtol=1e-6)

        curves = grid[i, n_columns - 1]
        assert curves.get_ylabel() == "Spearman r\n(mean, 95% CI, 2 images)"
        assert tick_labels(curves) == ["head re-init", "+ top 1", "all stages", "permuted"]
        *arch_lines, threshold = curves.lines
        assert list(threshold.get_ydata()) == [SANITY_THRESHOLD] * 2
        assert [line.get_label() for line in arch_lines] == [SHORT[a] for a in ARCHS]
        if i == 0:  # the first row's legend names the architectures and the threshold for every row
            assert legend_labels(curves.get_legend()) == [*(SHORT[a] for a in ARCHS), f"threshold {SANITY_THRESHOLD}"]
        assert len(curves.collections) == len(ARCHS)  # one CI band per architecture
        for line, band, arch in zip(arch_lines, curves.collections, ARCHS):
            sub = similarity[(similarity["method"] == method) & (similarity["arch"] == arch)]
            per_level = [sub.loc[sub["level"] == level, "spearman_abs"].to_numpy() for level in level_order[1:]]
            np.testing.assert_allclose(line.get_ydata(), [v.mean() for v in per_level])
            vertices = band.get_paths()[0].vertices
            for x, values in enumerate(per_level):  # the band at each level: the CI of that level's mean
                at_x = vertices[np.isclose(vertices[:, 0], x), 1]
                _, low, high = bootstrap_ci(values)
                assert at_x.min() == pytest.approx(low) and at_x.max() == pytest.approx(high)
                assert low <= values.mean() <= high


# ----------------------------------------------------------------- faithfulness (Figure 8)

FAITHFULNESS_CURVES = {"deletion_morf": "-", "deletion_lerf": "--", "insertion_morf": ":"}
CURVE_NAMES = {
    "deletion_morf": "deletion, most relevant first",
    "deletion_lerf": "deletion, least relevant first",
    "insertion_morf": "insertion, most relevant first",
}


def faithfulness_table(method: str, arch: str, rng: np.random.Generator, steps: int = 4) -> pd.DataFrame:
    """One method's curves on one architecture as faithfulness.py writes them: per image and
    variant, |Δ prediction| at fractions 0, 1/steps, …, 1 of each curve, their areas and the gap."""
    rows = []
    for image in ("img0", "img1"):
        for seed in (0, 1):
            row = {"method": method, "arch": arch, "image_id": image, "seed": seed}
            for curve in FAITHFULNESS_CURVES:
                values = np.concatenate([[0.0], np.cumsum(rng.uniform(0, 1, steps))])
                row[curve] = values.tolist()
                row[f"{curve}_auc"] = float(np.trapezoid(values, dx=1 / steps))
            rows.append({**row, "gap": row["deletion_morf_auc"] - row["deletion_lerf_auc"]})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("methods", [("lime", "gradcam", "mpm"), ("lime", "mpm")], ids=["all", "lime-mpm"])
def test_fig8_one_panel_per_method_with_each_architectures_mean_curves(tmp_path, methods):
    """A panel per method present (registry order, lettered), each with three curves per
    architecture (solid deletion MoRF, dashed LeRF, dotted insertion) that are the mean over
    images and variants; one colour per architecture; a figure legend naming each curve."""
    rng = np.random.default_rng(8)
    tables = {(m, arch): faithfulness_table(m, arch, rng) for m in methods for arch in ARCHS}
    inputs = {
        "faithfulness": {
            f"{m} {arch}": write_table(tmp_path, f"faithfulness_{m}_{arch}", table)
            for (m, arch), table in tables.items()
        }
    }
    fig = draw_figure("fig8_faithfulness", inputs)
    axes = drawn_panels(fig)
    shown = [m for m in METHODS if m in methods]
    assert len(panels(fig)) == len(axes) == len(shown)
    assert [ax.get_title() for ax in axes] == [LABEL[m] for m in shown]
    assert [panel_letters(ax) for ax in axes] == [[letter] for letter in "ABC"[: len(shown)]]
    assert [ax.get_ylabel() for ax in axes] == ["|Δ prediction| (rating units)"] + [""] * (len(shown) - 1)
    colours = {}
    for ax, method in zip(axes, shown):
        assert ax.get_xlabel() == "fraction of pixels removed / restored"
        lines = iter(ax.lines)
        for arch in ARCHS:
            for curve, style in FAITHFULNESS_CURVES.items():
                line = next(lines)
                expected = np.mean(np.stack(tables[method, arch][curve].map(np.asarray).to_list()), axis=0)
                np.testing.assert_allclose(line.get_ydata(), expected)
                np.testing.assert_allclose(line.get_xdata(), np.linspace(0, 1, len(expected)))
                assert line.get_linestyle() == style
                assert colours.setdefault(arch, line.get_color()) == line.get_color()
        assert next(lines, None) is None  # exactly three curves per architecture
    assert len(set(colours.values())) == len(ARCHS)
    (legend,) = fig.legends
    assert legend_labels(legend) == [f"{SHORT[a]}: {CURVE_NAMES[c]}" for a in ARCHS for c in FAITHFULNESS_CURVES]


# ----------------------------------------------------------------- example maps (fig_examples_<arch>)

EXAMPLE_IMAGE = "photo0"
PATCH_SIZES = (3, 5)
EXAMPLE_R2 = {0: 0.42, 1: 0.91}


def example_photo(tmp: Path) -> tuple[str, ModelView]:
    """An 8 × 8 photo under a dataset root, its image table and the view of the two architectures."""
    root = tmp / "data"
    (root / "img").mkdir(parents=True)
    pixels = np.random.default_rng(9).integers(0, 255, (SIDE, SIDE, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(root / "img" / f"{EXAMPLE_IMAGE}.png")
    table = [{"image_id": EXAMPLE_IMAGE, "path": f"img/{EXAMPLE_IMAGE}.png", "cue_mask_path": None}]
    view = ModelView(root, {arch: {"resize": SIDE, "crop": SIDE} for arch in ARCHS})
    return write_table(tmp, "images", table), view


def attribution_rows(method: str, arch: str) -> list[dict]:
    """An attribution table of one method, architecture and image with two variants, seed 1
    first, as the attribution stage writes it (MPM drops per scale, LIME superpixels and R²)."""
    rows = []
    for seed in (1, 0):
        rng = np.random.default_rng([seed, list(METHODS).index(method)])
        row = {
            "seed": seed,
            "method": method,
            "arch": arch,
            "regime": "test",
            "image_id": EXAMPLE_IMAGE,
            "height": SIDE,
            "width": SIDE,
            "map": flat(rng.normal(size=(SIDE, SIDE))),
        }
        if method == "mpm":
            row.update(
                drops=flat_per_scale(rng.normal(size=(len(PATCH_SIZES), SIDE, SIDE))),
                patch_sizes=list(PATCH_SIZES),
                stride=1,
            )
        if method == "lime":
            segments = np.arange(SIDE)[:, None] // 4 * 2 + np.arange(SIDE)[None, :] // 4
            row.update(segments=flat(segments, np.int16), r2=EXAMPLE_R2[seed], n_segments=4)
        rows.append(row)
    return rows


def expected_example_panels(method: str, seed0: dict) -> list[tuple[str, np.ndarray, int]]:
    """(title, values, images drawn) of each map panel of a method's seed-0 row, written out here."""
    values = np.asarray(seed0["map"], np.float32).reshape(SIDE, SIDE)
    if method == "gradcam":
        return [("Grad-CAM", values, 1)]
    if method == "lime":
        return [(f"LIME (R² {EXAMPLE_R2[0]:.2f})", values, 2)]  # the map and the superpixel borders
    drops = np.asarray(seed0["drops"], np.float32).reshape(len(PATCH_SIZES), SIDE, SIDE)
    per_scale = [(f"MPM {side}px", d, 1) for side, d in zip(PATCH_SIZES, drops)]
    return per_scale + [("MPM mean", drops.mean(axis=0), 1)]


@pytest.mark.parametrize(
    "methods", [("gradcam", "mpm", "lime"), ("mpm",), ("lime", "gradcam")], ids=["all", "mpm", "lime-gradcam"]
)
def test_fig_examples_one_photo_then_each_methods_map_panels_of_seed_0(tmp_path, methods):
    """The photo panel (titled architecture, image and seed 0), then for each method present, in
    the registry's order, the panels of :meth:`Method.map_panels` of its seed-0 row: Grad-CAM,
    MPM per scale and their mean, LIME with its R²; each with a colorbar."""
    arch = ARCHS[0]
    images, view = example_photo(tmp_path)
    tables = {m: attribution_rows(m, arch) for m in methods}
    inputs = {"images": images, "maps": {m: write_table(tmp_path, m, rows) for m, rows in tables.items()}}
    fig = draw_figure(f"fig_examples_{arch}", inputs, view)

    order = [m for m in METHODS if m in methods]
    seed0 = {m: next(row for row in tables[m] if row["seed"] == 0) for m in order}
    expected = [panel for m in order for panel in expected_example_panels(m, seed0[m])]
    registry_titles = [p.title for m in order for p in METHODS[m].map_panels(pd.Series(seed0[m]))]
    assert [title for title, _, _ in expected] == registry_titles

    photo, *maps = drawn_panels(fig)
    assert len(panels(fig)) == 1 + len(maps) and colorbar_count(fig) == len(maps) == len(expected)
    assert photo.get_title() == f"{arch}\n{EXAMPLE_IMAGE} (seed 0)"
    assert photo.images[0].get_array().shape == (SIDE, SIDE, 3)
    for ax, (title, values, n_images) in zip(maps, expected):
        assert ax.get_title() == title
        assert len(ax.images) == n_images
        np.testing.assert_allclose(ax.images[0].get_array(), values, rtol=1e-6)


def test_fig_examples_names_each_panels_seed_when_methods_explain_different_variants(tmp_path):
    """attribution.<method>.seeds may differ per method (e.g. MPM on seed 1 only): the photo then
    names no seed and every map panel says which variant it shows."""
    arch = ARCHS[0]
    images, view = example_photo(tmp_path)
    gradcam = attribution_rows("gradcam", arch)
    mpm_seed1 = [row for row in attribution_rows("mpm", arch) if row["seed"] == 1]
    inputs = {
        "images": images,
        "maps": {"gradcam": write_table(tmp_path, "gradcam", gradcam), "mpm": write_table(tmp_path, "mpm", mpm_seed1)},
    }
    photo, *maps = drawn_panels(draw_figure(f"fig_examples_{arch}", inputs, view))
    assert photo.get_title() == f"{arch}\n{EXAMPLE_IMAGE}"
    expected = ["Grad-CAM, seed 0"] + [f"MPM {side}px, seed 1" for side in PATCH_SIZES] + ["MPM mean, seed 1"]
    assert [ax.get_title() for ax in maps] == expected


# ----------------------------------------------------------------- planted-cue outlines, scorecard forest, seed grid


def photos_with_cues(tmp: Path, image_ids: list[str], cued: set[str]) -> tuple[str, ModelView]:
    """8 × 8 photos of ``image_ids`` under a dataset root, a planted-cue mask (a 4 × 4 square)
    for those in ``cued``; the image table's path and the view of the two architectures."""
    root = tmp / "cued"
    (root / "img").mkdir(parents=True, exist_ok=True)
    (root / "masks").mkdir(exist_ok=True)
    rows = []
    for k, image_id in enumerate(image_ids):
        pixels = np.random.default_rng(k).integers(0, 255, (SIDE, SIDE, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(root / "img" / f"{image_id}.png")
        mask = None
        if image_id in cued:
            bits = np.zeros((SIDE, SIDE), np.uint8)
            bits[2:6, 2:6] = 1
            Image.fromarray(bits).save(root / "masks" / f"{image_id}.png")
            mask = f"masks/{image_id}.png"
        rows.append({"image_id": image_id, "path": f"img/{image_id}.png", "cue_mask_path": mask})
    view = ModelView(root, {arch: {"resize": SIDE, "crop": SIDE} for arch in ARCHS})
    return write_table(tmp, "cued_images", rows), view


def test_fig7_outlines_the_planted_cues_on_every_map(tmp_path):
    inputs, _, _ = sanity_inputs(tmp_path, ("gradcam", "mpm"))
    inputs["images"], view = photos_with_cues(tmp_path, ["img_a", "img_b"], cued={"img_a"})
    fig = draw_figure("fig7_sanity_checks", inputs, view)
    grid = {grid_position(ax): ax for ax in drawn_panels(fig)}
    maps = [ax for (i, j), ax in grid.items() if ax.images]
    assert len(maps) == 2 * len(SANITY_LEVELS)
    # the 4 × 4 square's outline: one closed contour around it on every map panel
    for ax in maps:
        (outline,) = ax.lines
        xs, ys = outline.get_xdata(), outline.get_ydata()
        assert xs.min() == pytest.approx(1.5) and xs.max() == pytest.approx(5.5) and ys.max() == pytest.approx(5.5)


FOREST_ROWS = [
    # method, arch, within, across, auroc, gap, sanity
    ("mpm", "efficientnet_lite0", (0.75, 0.6, 0.85), (0.0, -0.5, 0.4), (0.56, 0.49, 0.61), (1.1, 0.0, 3.0), "pass"),
    ("gradcam", "random_lite0", (0.3, 0.2, 0.5), (0.2, -0.1, 0.4), (0.52, 0.5, 0.53), (0.0, -0.1, 0.1), "pass"),
    ("gradcam", "efficientnet_lite0", (0.55, 0.4, 0.7), (0.4, 0.2, 0.6), (0.68, 0.6, 0.76), (0.9, 0.2, 2.3), "fail"),
]
FOREST_CRITERIA = ("within_r", "across_r", "auroc", "faithfulness_gap")


def test_fig9_forest_plot_draws_each_cell_with_its_ci_and_the_chance_lines(tmp_path):
    rows = []
    for method, arch, *cells, sanity in FOREST_ROWS:
        row = {"method": method, "arch": arch, "sanity": sanity}
        for criterion, (mean, low, high) in zip(FOREST_CRITERIA, cells):
            row |= {f"{criterion}_mean": mean, f"{criterion}_low": low, f"{criterion}_high": high}
        rows.append(row)
    path = tmp_path / "table9_scorecard.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    fig = draw_figure("fig9_scorecard_forest", {"table": str(path)})
    axes = drawn_panels(fig)
    assert len(axes) == 4 and [panel_letters(ax) for ax in axes] == [["A"], ["B"], ["C"], ["D"]]
    # rows top to bottom in the registry's method order (Grad-CAM before MPM), archs sorted
    order = [("gradcam", "efficientnet_lite0"), ("gradcam", "random_lite0"), ("mpm", "efficientnet_lite0")]
    ticks = sorted(zip(axes[0].get_yticks(), (t.get_text() for t in axes[0].get_yticklabels())), reverse=True)
    assert [label for _, label in ticks] == [f"{LABEL[m]} · {SHORT[a]}" for m, a in order]
    by_key = {(m, a): (cells, sanity) for m, a, *cells, sanity in FOREST_ROWS}
    for k, (ax, chance) in enumerate(zip(axes, (0.0, 0.0, 0.5, 0.0))):
        assert [line.get_xdata()[0] for line in ax.lines if line.get_linestyle() == "--"] == [chance]
        points = [c for c in ax.containers]
        assert len(points) == 3
        for container, key in zip(points, order):
            mean, low, high = by_key[key][0][k]
            marker = container.lines[0]
            assert marker.get_xdata()[0] == pytest.approx(mean)
            (segment,) = container.lines[2][0].get_segments()
            assert segment[:, 0] == pytest.approx([low, high])
            hollow = to_rgba(marker.get_markerfacecolor()) == (1.0, 1.0, 1.0, 1.0)
            assert hollow == (by_key[key][1] != "pass")
    # the planted-cue study's counterfactual rank r: a fifth panel after cue AUROC, chance at 0
    cf = {"cf_agreement_mean": [0.4, np.nan, -0.2], "cf_agreement_low": [0.1, np.nan, -0.5]}
    pd.DataFrame(rows).assign(**cf, cf_agreement_high=[0.7, np.nan, 0.1]).to_csv(path, index=False)
    axes = drawn_panels(draw_figure("fig9_scorecard_forest", {"table": str(path)}))
    assert [ax.get_xlabel() for ax in axes][2:4] == ["cue AUROC (0.5 = chance)", "counterfactual rank r"]
    assert [line.get_xdata()[0] for line in axes[3].lines if line.get_linestyle() == "--"] == [0.0]
    # rows top to bottom: Grad-CAM lite0 (-0.2), Grad-CAM random (no value: no marker), MPM lite0 (0.4)
    assert [c.lines[0].get_xdata()[0] for c in axes[3].containers] == pytest.approx([-0.2, 0.4])


def test_fig9_shades_the_control_and_stars_the_rows_above_it(tmp_path):
    """The control's CI is the null band behind its method's rows; a star marks a trained row
    whose paired difference from the control lies above 0; the control row comes last."""
    rows = []
    for method, arch, *cells, sanity in FOREST_ROWS:
        row = {"method": method, "arch": arch, "sanity": sanity, "control": arch == "random_lite0"}
        for criterion, (mean, low, high) in zip(FOREST_CRITERIA, cells):
            row |= {f"{criterion}_mean": mean, f"{criterion}_low": low, f"{criterion}_high": high}
        rows.append(row)
    table = pd.DataFrame(rows).assign(
        auroc_vs_control_low=[np.nan, np.nan, 0.05], faithfulness_gap_vs_control_low=[np.nan, np.nan, -0.1]
    )
    path = tmp_path / "table9_scorecard.csv"
    table.to_csv(path, index=False)
    axes = drawn_panels(draw_figure("fig9_scorecard_forest", {"table": str(path)}))
    ticks = sorted(zip(axes[0].get_yticks(), (t.get_text() for t in axes[0].get_yticklabels())), reverse=True)
    assert [label for _, label in ticks][:2] == [f"{LABEL['gradcam']} · {SHORT['efficientnet_lite0']}"] + [
        f"{LABEL['gradcam']} · {SHORT['random_lite0']}"
    ]
    auroc, gap = axes[2], axes[3]
    (band,) = [c for c in auroc.collections if isinstance(c, PolyCollection)]
    xs = band.get_paths()[0].vertices[:, 0]
    assert (xs.min(), xs.max()) == pytest.approx((0.5, 0.53))  # the control's AUROC CI
    stars = [line for line in auroc.lines if line.get_marker() == "*"]
    assert len(stars) == 1 and stars[0].get_xdata()[0] == pytest.approx(0.76)  # Grad-CAM lite0's CI end
    assert not [line for line in gap.lines if line.get_marker() == "*"]


def test_seed_grid_shows_every_seed_on_the_most_and_least_consistent_image(tmp_path):
    images = ["im_hi", "im_mid", "im_lo"]
    rng = np.random.default_rng(4)
    rows = [
        {
            "seed": seed,
            "method": "mpm",
            "arch": ARCHS[0],
            "regime": "test",
            "image_id": image,
            "height": SIDE,
            "width": SIDE,
            "map": flat(rng.normal(size=(SIDE, SIDE))),
        }
        for image in images
        for seed in (2, 0, 1)
    ]
    maps = pd.DataFrame(rows)
    within = pd.DataFrame(
        [
            {"arch": ARCHS[0], "image_id": "im_hi", "pearson": 0.9, "subset": "test"},
            {"arch": ARCHS[0], "image_id": "im_mid", "pearson": 0.5, "subset": "test"},
            {"arch": ARCHS[0], "image_id": "im_lo", "pearson": 0.1, "subset": "test"},
            {"arch": ARCHS[0], "image_id": "im_mid", "pearson": 0.99, "subset": "train"},  # another subset
            {"arch": ARCHS[1], "image_id": "im_lo", "pearson": 0.95, "subset": "test"},  # another arch
        ]
    )
    images_path, view = photos_with_cues(tmp_path, images, cued={"im_lo"})
    inputs = {
        "images": images_path,
        "within": write_table(tmp_path, "within_mpm", within),
        "maps": [write_table(tmp_path, "maps_a", maps.iloc[:4]), write_table(tmp_path, "maps_b", maps.iloc[4:])],
    }
    fig = draw_figure("fig_seed_grid_mpm", inputs, view)
    grid = {grid_position(ax): ax for ax in drawn_panels(fig)}
    assert sorted(grid) == [(r, c) for r in range(2) for c in range(4)]
    assert grid[0, 0].get_title() == "most consistent\nim_hi: r 0.90"
    assert grid[1, 0].get_title() == "least\nim_lo: r 0.10"
    for r, image in enumerate(("im_hi", "im_lo")):
        for c, seed in enumerate((0, 1, 2)):
            ax = grid[r, 1 + c]
            assert ax.get_title() == f"seed {seed}"
            row = maps[(maps.image_id == image) & (maps.seed == seed)].iloc[0]
            np.testing.assert_allclose(ax.images[0].get_array(), np.asarray(row["map"]).reshape(SIDE, SIDE))
            assert len(ax.lines) == (1 if image == "im_lo" else 0)  # the cue outline where there is a cue
    assert colorbar_count(fig) == 0
