"""Psychometrics of human ratings (paper §4.1, §4.2, §5.1).

All functions take plain arrays or the long ``ratings`` table of :data:`authxai.data.adapters.RATINGS_LONG` and are
independent of Snakemake.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from authxai.statistics import cohens_d_paired, fisher_mean, spearman_brown

# scipy.stats is imported where it is used: every job that opens an image imports this module (via
# the dataset adapters), and scipy.stats costs ~1 s of each job's start-up.

DIMENSIONS = ("quality", "authenticity", "correspondence")
#: z-scores are mapped to 0–100 linearly from this range (ITU-style rescaling), then clipped.
Z_RANGE = (-3.0, 3.0)


def scale_z(z: np.ndarray | pd.Series, z_range: tuple[float, float] = Z_RANGE) -> np.ndarray:
    """Map z-scores to 0–100: ``100 (z - lo) / (hi - lo)``, clipped."""
    lo, hi = z_range
    return np.clip(100.0 * (np.asarray(z, float) - lo) / (hi - lo), 0.0, 100.0)


def zscore_ratings(ratings: pd.DataFrame) -> pd.DataFrame:
    """Add ``z`` (per participant and dimension) and ``scaled`` (0–100) to a long ratings table.

    A participant who gave one constant rating on a dimension has no scale; their z is 0.
    """
    grouped = ratings.groupby(["participant", "dimension"], sort=False)["raw"]
    mean = grouped.transform("mean")
    sd = grouped.transform(lambda x: x.std(ddof=1)).fillna(0.0)
    z = np.where(sd > 0, (ratings["raw"] - mean) / sd.where(sd > 0, 1.0), 0.0)
    return ratings.assign(z=z, scaled=scale_z(z))


def mos_from_ratings(ratings: pd.DataFrame) -> pd.DataFrame:
    """Per image: ``mos_<dim>`` (0–100 from mean z), ``sd_<dim>`` (SD of z), ``n_raters``.

    ``ratings`` must already carry ``z`` (see :func:`zscore_ratings`).
    """
    agg = ratings.groupby(["image_id", "dimension"], sort=False)["z"].agg(["mean", "std", "count"])
    wide = agg.unstack("dimension")
    out = pd.DataFrame(index=wide.index)
    for dim in wide["mean"].columns:
        out[f"mos_{dim}"] = scale_z(wide["mean"][dim])
        out[f"sd_{dim}"] = wide["std"][dim].to_numpy()
    out["n_raters"] = wide["count"].max(axis=1).astype(int)
    return out.reset_index()


def rating_matrix(ratings: pd.DataFrame, dimension: str, value: str = "z") -> pd.DataFrame:
    """Participants × images matrix of one dimension (NaN where a rating is missing)."""
    sub = ratings[ratings["dimension"] == dimension]
    return sub.pivot_table(index="participant", columns="image_id", values=value, aggfunc="mean")


def noise_ceiling(reliability: float | np.ndarray) -> float | np.ndarray:
    """Highest correlation a model can reach with a measure of this reliability."""
    return np.sqrt(np.clip(reliability, 0.0, None))


def split_half_reliability(matrix: np.ndarray, n_splits: int = 20, seed: int = 0) -> tuple[float, np.ndarray]:
    """Split-half reliability of item means over random participant halves.

    ``matrix`` is participants × items (NaN allowed). Each split puts ``P // 2`` participants
    in one half (12 of 25) and the rest in the other; item means per half are correlated
    (Pearson) and the ``n_splits`` correlations averaged through Fisher's z.
    Returns (mean r, per-split rs).
    """
    from scipy import stats

    matrix = np.asarray(matrix, float)
    n_part = matrix.shape[0]
    if n_part < 2:
        raise ValueError("split-half reliability needs at least 2 participants")
    rng = np.random.default_rng(seed)
    rs = np.empty(n_splits)
    for s in range(n_splits):
        perm = rng.permutation(n_part)
        a = np.nanmean(matrix[perm[: n_part // 2]], axis=0)
        b = np.nanmean(matrix[perm[n_part // 2 :]], axis=0)
        ok = np.isfinite(a) & np.isfinite(b)
        rs[s] = stats.pearsonr(a[ok], b[ok])[0]
    return fisher_mean(rs), rs


def reliability_table(ratings: pd.DataFrame, n_splits: int = 20, seed: int = 0) -> pd.DataFrame:
    """Per dimension: split_half_r, spearman_brown, noise_ceiling, n_splits, n_participants, n_images."""
    rows = []
    for dim in [d for d in DIMENSIONS if d in set(ratings["dimension"])]:
        mat = rating_matrix(ratings, dim)
        r, _ = split_half_reliability(mat.to_numpy(), n_splits, seed)
        sb = spearman_brown(r)
        rows.append(
            {
                "dimension": dim,
                "split_half_r": r,
                "spearman_brown": sb,
                "noise_ceiling": noise_ceiling(sb),
                "n_splits": n_splits,
                "n_participants": mat.shape[0],
                "n_images": mat.shape[1],
            }
        )
    return pd.DataFrame(rows)


def bimodality_delta_bic(values: np.ndarray, seed: int = 0) -> tuple[float, float, float]:
    """ΔBIC = BIC(1 Gaussian) − BIC(2-component mixture); > 0 favours two modes.

    Returns (delta_bic, bic_1, bic_2).
    """
    from sklearn.mixture import GaussianMixture

    x = np.asarray(values, float)
    x = x[np.isfinite(x)].reshape(-1, 1)
    bics = [GaussianMixture(k, n_init=3, random_state=seed).fit(x).bic(x) for k in (1, 2)]
    return bics[0] - bics[1], bics[0], bics[1]


def kept_vs_removed(ratings: pd.DataFrame, kept: pd.Series, value: str = "raw") -> pd.DataFrame:
    """Per dimension, each participant's mean rating on kept vs removed images; paired t-test, d.

    Raw ratings by default: per-participant z-scores average to zero over all images, so their
    kept and removed means are tied to each other and a plot of them collapses onto one point.

    ``kept`` maps image_id → bool. Returns one row per dimension with both means, t, p, d and
    the number of participants; the per-participant means are returned by
    :func:`kept_vs_removed_means`.
    """
    from scipy import stats

    means = kept_vs_removed_means(ratings, kept, value)
    rows = []
    for dim, sub in means.groupby("dimension", sort=False):
        t, p = stats.ttest_rel(sub["kept"], sub["removed"])
        rows.append(
            {
                "dimension": dim,
                "mean_kept": sub["kept"].mean(),
                "mean_removed": sub["removed"].mean(),
                "t": t,
                "df": len(sub) - 1,
                "p": p,
                "cohens_d": cohens_d_paired(sub["kept"], sub["removed"]),
                "n_participants": len(sub),
            }
        )
    return pd.DataFrame(rows)


def kept_vs_removed_means(ratings: pd.DataFrame, kept: pd.Series, value: str = "raw") -> pd.DataFrame:
    """Long table: participant, dimension, kept (mean), removed (mean)."""
    flag = ratings["image_id"].map(kept).astype(bool)
    tab = ratings.assign(group=np.where(flag, "kept", "removed")).pivot_table(
        index=["participant", "dimension"], columns="group", values=value, aggfunc="mean"
    )
    return tab.reset_index()


def mos_summary(images: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """MOS-level analyses that need no raw ratings, as a long table.

    Rows (analysis, dimension, statistic, value, p, n):
    quality–authenticity Pearson r on kept images; per dimension the bimodality ΔBIC on kept
    images; per dimension kept-vs-removed MOS (Welch t, p, Cohen's d over images); per
    dimension mean vs SD Pearson r when SD columns exist.
    """
    from scipy import stats

    kept = images[images["kept"]]
    rows: list[dict] = []

    def add(analysis: str, dimension: str, statistic: str, value: float, p: float, n: int) -> None:
        rows.append(
            {
                "analysis": analysis,
                "dimension": dimension,
                "statistic": statistic,
                "value": float(value),
                "p": float(p),
                "n": int(n),
            }
        )

    dims = [d for d in DIMENSIONS if f"mos_{d}" in images and images[f"mos_{d}"].notna().any()]
    if {"quality", "authenticity"} <= set(dims):
        r, p = stats.pearsonr(kept["mos_quality"], kept["mos_authenticity"])
        add("quality_authenticity", "quality~authenticity", "pearson_r", r, p, len(kept))
        rho, p = stats.spearmanr(kept["mos_quality"], kept["mos_authenticity"])
        add("quality_authenticity", "quality~authenticity", "spearman_rho", rho, p, len(kept))
    removed = images[~images["kept"]]
    for dim in dims:
        col = f"mos_{dim}"
        dbic, _, _ = bimodality_delta_bic(kept[col], seed)
        add("bimodality", dim, "delta_bic", dbic, np.nan, len(kept))
        if len(removed) > 1:
            t, p = stats.ttest_ind(kept[col], removed[col], equal_var=False)
            add("kept_vs_removed_mos", dim, "mean_kept", kept[col].mean(), np.nan, len(kept))
            add("kept_vs_removed_mos", dim, "mean_removed", removed[col].mean(), np.nan, len(removed))
            add("kept_vs_removed_mos", dim, "welch_t", t, p, len(images))
            pooled = np.sqrt((kept[col].var(ddof=1) + removed[col].var(ddof=1)) / 2)
            add(
                "kept_vs_removed_mos",
                dim,
                "cohens_d",
                (kept[col].mean() - removed[col].mean()) / pooled,
                p,
                len(images),
            )
        sd_col = f"sd_{dim}"
        if sd_col in images and images[sd_col].notna().sum() > 2:
            ok = kept[[col, sd_col]].dropna()
            r, p = stats.pearsonr(ok[col], ok[sd_col])
            add("mean_vs_sd", dim, "pearson_r", r, p, len(ok))
    return pd.DataFrame(rows)


def mean_sd_table(ratings: pd.DataFrame, dimension: str = "authenticity") -> pd.DataFrame:
    """Per image mean and SD of the per-participant z-scores of one dimension."""
    sub = ratings[ratings["dimension"] == dimension]
    agg = sub.groupby("image_id")["z"].agg(mean_z="mean", sd_z="std").reset_index()
    return agg.assign(dimension=dimension)


def psychometrics_tables(
    images: pd.DataFrame, ratings: pd.DataFrame, n_splits: int = 20, seed: int = 0, subset: str = "kept"
) -> dict[str, pd.DataFrame]:
    """Every psychometrics output of the pipeline, keyed by file stem.

    ``reliability``, ``kept_vs_removed`` and ``kept_vs_removed_participants`` need raw ratings
    and are empty (with the contract's columns) when ``ratings`` has no rows; ``mos_summary``
    and ``mean_sd`` fall back to the MOS/SD columns.
    """
    has_raw = len(ratings) > 0
    chosen = images[images["kept"]] if subset == "kept" else images
    if has_raw:
        sub = ratings[ratings["image_id"].isin(set(chosen["image_id"]))]
        reliability = reliability_table(sub, n_splits, seed)
        kept_flag = images.set_index("image_id")["kept"]
        kvr = kept_vs_removed(ratings, kept_flag) if (~images["kept"]).any() else _empty_kvr()
        kvr_means = kept_vs_removed_means(ratings, kept_flag) if len(kvr) else _empty_kvr_means()
        mean_sd = mean_sd_table(sub).assign(source="ratings")
    else:
        reliability = pd.DataFrame(
            columns=[
                "dimension",
                "split_half_r",
                "spearman_brown",
                "noise_ceiling",
                "n_splits",
                "n_participants",
                "n_images",
            ]
        )
        kvr, kvr_means = _empty_kvr(), _empty_kvr_means()
        mean_sd = pd.DataFrame(
            {
                "image_id": chosen["image_id"],
                "mean_z": chosen["mos_authenticity"],
                "sd_z": chosen.get("sd_authenticity", pd.Series(np.nan, index=chosen.index)),
                "dimension": "authenticity",
                "source": "mos",
            }
        ).dropna(subset=["sd_z"])
    return {
        "reliability": reliability,
        "mos_summary": mos_summary(images, seed),
        "kept_vs_removed": kvr,
        "kept_vs_removed_participants": kvr_means,
        "mean_sd": mean_sd,
    }


def _empty_kvr() -> pd.DataFrame:
    return pd.DataFrame(
        columns=["dimension", "mean_kept", "mean_removed", "t", "df", "p", "cohens_d", "n_participants"]
    )


def _empty_kvr_means() -> pd.DataFrame:
    return pd.DataFrame(columns=["participant", "dimension", "kept", "removed"])


def summary_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One readable table: reliability per dimension plus the headline MOS statistics."""
    rows = []
    for _, r in tables["reliability"].iterrows():
        rows.append({"measure": f"split-half r ({r['dimension']})", "value": r["split_half_r"], "p": np.nan})
        rows.append({"measure": f"Spearman–Brown ({r['dimension']})", "value": r["spearman_brown"], "p": np.nan})
        rows.append({"measure": f"noise ceiling ({r['dimension']})", "value": r["noise_ceiling"], "p": np.nan})
    for _, r in tables["mos_summary"].iterrows():
        if r["statistic"] in ("pearson_r", "delta_bic", "cohens_d"):
            rows.append(
                {"measure": f"{r['analysis']} {r['statistic']} ({r['dimension']})", "value": r["value"], "p": r["p"]}
            )
    for _, r in tables["kept_vs_removed"].iterrows():
        rows.append({"measure": f"kept vs removed, paired d ({r['dimension']})", "value": r["cohens_d"], "p": r["p"]})
    return pd.DataFrame(rows)
