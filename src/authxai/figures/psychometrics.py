"""Figure 2 (rating distributions, quality vs authenticity, mean vs SD) and Figure A.1."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from authxai.figures.common import DIMENSION_COLOURS, new_figure, panel_label
from authxai.plan import paths
from authxai.psychometrics import DIMENSIONS
from authxai.tables import read_parquet

if TYPE_CHECKING:
    from authxai.plan import Plan


def _dims(images: pd.DataFrame) -> list[str]:
    return [d for d in DIMENSIONS if images[f"mos_{d}"].notna().any()]


def _stat(summary: pd.DataFrame, analysis: str, dimension: str, statistic: str) -> float:
    hit = summary[(summary.analysis == analysis) & (summary.dimension == dimension) & (summary.statistic == statistic)]
    return float(hit["value"].iloc[0]) if len(hit) else float("nan")


#: Figure 2C's axis labels per source of ``mean_sd``: per-participant z-scores of raw ratings,
#: or (MOS-only datasets) the published MOS against the published SD of the raw ratings.
MEAN_SD_AXES = {
    "ratings": {"xlabel": "mean rating (z)", "ylabel": "SD across participants (z)"},
    "mos": {"xlabel": "authenticity MOS (0–100)", "ylabel": "SD across participants (raw ratings)"},
}


def fig2_inputs(plan: Plan) -> dict[str, dict]:
    """Figure 2 reads the image table's MOS, the MOS summary and the per-image mean vs SD."""
    return {
        "fig2_psychometrics": {
            "images": paths.METADATA,
            "mos_summary": paths.psychometrics_file("mos_summary"),
            "mean_sd": paths.psychometrics_file("mean_sd"),
        }
    }


def fig2_psychometrics(inputs: dict[str, str]):
    """A: MOS distributions (kept images) with bimodality ΔBIC; B: quality vs authenticity;
    C: per-image mean vs SD of the z-scored authenticity ratings (datasets without raw ratings:
    the published MOS vs the published SD of the raw ratings, labelled as such)."""
    images = read_parquet(inputs["images"])
    summary = read_parquet(inputs["mos_summary"])
    mean_sd = read_parquet(inputs["mean_sd"])
    kept = images[images["kept"]]
    fig, axes = new_figure(3)
    ax = axes[0, 0]
    bins = np.linspace(0, 100, 41)
    for dim in _dims(images):
        dbic = _stat(summary, "bimodality", dim, "delta_bic")
        ax.hist(
            kept[f"mos_{dim}"],
            bins=bins,
            histtype="step",
            lw=1.8,
            color=DIMENSION_COLOURS[dim],
            label=f"{dim} (ΔBIC {dbic:+.1f})",
        )
    ax.set(xlabel="MOS (0–100)", ylabel="images", title=f"Rating distributions (kept, n={len(kept)})")
    ax.legend(fontsize=7, frameon=False, title="ΔBIC > 0: two modes", title_fontsize=7, loc="upper left")
    panel_label(ax, "A")

    ax = axes[0, 1]
    if {"quality", "authenticity"} <= set(_dims(images)):
        x, y = kept["mos_quality"], kept["mos_authenticity"]
        ax.scatter(x, y, s=6, alpha=0.5, color=DIMENSION_COLOURS["authenticity"], lw=0)
        slope, icpt = np.polyfit(x, y, 1)
        xs = np.linspace(x.min(), x.max(), 2)
        ax.plot(xs, icpt + slope * xs, color="k", lw=1)
        r = _stat(summary, "quality_authenticity", "quality~authenticity", "pearson_r")
        ax.set_title(f"Quality vs authenticity (r = {r:.2f})")
    ax.set(xlabel="quality MOS", ylabel="authenticity MOS")
    panel_label(ax, "B")

    ax = axes[0, 2]
    source = mean_sd["source"].iloc[0] if len(mean_sd) else None
    if len(mean_sd):
        ax.scatter(mean_sd["mean_z"], mean_sd["sd_z"], s=6, alpha=0.5, color="#8172B3", lw=0)
        r, p = stats.pearsonr(mean_sd["mean_z"], mean_sd["sd_z"])
        what = "mean vs SD" if source == "ratings" else "MOS vs SD"
        ax.set_title(f"Authenticity: {what} (r = {r:.2f}, p = {p:.2g})")
    else:
        ax.set_title("Authenticity: no per-image SD available")
    ax.set(**MEAN_SD_AXES.get(source, {"xlabel": "", "ylabel": ""}))
    panel_label(ax, "C")
    return fig


def figA1_inputs(plan: Plan) -> dict[str, dict]:
    """Figure A.1 reads the kept-vs-removed tests and each participant's means."""
    return {
        "figA1_kept_vs_removed": {
            "images": paths.METADATA,
            "kept_vs_removed": paths.psychometrics_file("kept_vs_removed"),
            "participants": paths.psychometrics_file("kept_vs_removed_participants"),
        }
    }


def figA1_kept_vs_removed(inputs: dict[str, str]):
    """Kept vs removed images per dimension: per-participant paired means when raw ratings
    exist (paired t, Cohen's d), otherwise image-level MOS distributions (Welch t)."""
    per_part = read_parquet(inputs["participants"])
    tests = read_parquet(inputs["kept_vs_removed"])
    images = read_parquet(inputs["images"])
    dims = _dims(images)
    fig, axes = new_figure(len(dims), width=3.2)
    for ax, dim in zip(axes[0], dims):
        if images["kept"].all():  # no exclusion configured: nothing to compare (no NaN statistics)
            ax.set_title(f"{dim}\nno removed images (dataset.exclusion removes none)")
        elif len(per_part):
            sub = per_part[per_part["dimension"] == dim]
            for _, row in sub.iterrows():
                ax.plot([0, 1], [row["kept"], row["removed"]], color="grey", lw=0.7, alpha=0.6)
            ax.scatter(np.zeros(len(sub)), sub["kept"], color=DIMENSION_COLOURS[dim], s=14, zorder=3)
            ax.scatter(np.ones(len(sub)), sub["removed"], color="k", s=14, zorder=3)
            t = tests[tests["dimension"] == dim].iloc[0]
            ax.set_title(f"{dim}\nt({int(t['df'])}) = {t['t']:.2f}, p = {t['p']:.2g}, d = {t['cohens_d']:.2f}")
            ax.set_ylabel("participant mean raw rating (1–5)")
        else:
            groups = [images.loc[images["kept"], f"mos_{dim}"], images.loc[~images["kept"], f"mos_{dim}"]]
            ax.violinplot(groups, positions=[0, 1], showmedians=True)
            t, p = stats.ttest_ind(*groups, equal_var=False)
            ax.set_title(f"{dim}\nWelch t = {t:.2f}, p = {p:.2g} (image MOS)")
            ax.set_ylabel("MOS")
        ax.set_xticks([0, 1], [f"kept (n={int(images['kept'].sum())})", f"removed (n={int((~images['kept']).sum())})"])
        ax.set_xlim(-0.4, 1.4)
    fig.suptitle("Kept vs removed (non-realistic) images")
    return fig
