"""Experiment 1 figures: predicted vs observed authenticity per architecture."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib
import numpy as np

from authxai.evaluation import regression_metrics
from authxai.figures.common import new_figure
from authxai.plan import paths
from authxai.tables import read_parquet

if TYPE_CHECKING:
    from authxai.plan import Plan


def fig_pred_vs_obs_inputs(plan: Plan) -> dict[str, dict]:
    """One figure per architecture, from its Experiment 1 predictions."""
    return {f"fig_pred_vs_obs_{arch}": {"predictions": paths.predictions_file(arch)} for arch in plan.archs}


def fig_pred_vs_obs(inputs: dict[str, str]):
    """Left: test images, every variant (colour = seed) with the identity line and the mean
    PLCC; right: the variants' mean prediction per test image vs observed MOS."""
    pred = read_parquet(inputs["predictions"])
    arch = pred["arch"].iloc[0]
    test = pred[pred["role"] == "test"]
    fig, axes = new_figure(2, width=4.0, height=3.8)
    ax = axes[0, 0]
    seeds = sorted(test["seed"].unique())
    colours = matplotlib.colormaps["viridis"](np.linspace(0, 1, len(seeds)))
    for seed, colour in zip(seeds, colours):
        sub = test[test["seed"] == seed]
        ax.scatter(sub["y"], sub["y_hat"], s=8, alpha=0.6, color=colour, lw=0)
    plcc = [regression_metrics(s["y"], s["y_hat"])["plcc"] for _, s in test.groupby("seed")]
    lo, hi = float(min(test["y"].min(), test["y_hat"].min())), float(max(test["y"].max(), test["y_hat"].max()))
    for a in axes[0]:
        a.plot([lo, hi], [lo, hi], color="k", lw=0.8, ls="--")
        a.set(xlabel="observed authenticity MOS", ylabel="predicted")
    spread = np.std(plcc, ddof=1) if len(plcc) > 1 else 0.0
    ax.set_title(f"{arch}: {len(seeds)} variants, test PLCC {np.mean(plcc):.2f} ± {spread:.2f}")
    mean = test.groupby("image_id")[["y", "y_hat"]].mean()
    m = regression_metrics(mean["y"], mean["y_hat"])
    axes[0, 1].scatter(mean["y"], mean["y_hat"], s=14, color="#DD8452")
    axes[0, 1].set_title(f"mean over variants: PLCC {m['plcc']:.2f}, RMSE {m['rmse']:.2f}")
    return fig
