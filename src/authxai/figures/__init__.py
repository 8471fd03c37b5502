"""Figures of the study: a registry from figure name to a function drawing it.

Each figure function takes a dict of input paths and returns a matplotlib Figure; figures
with photo panels also take a :class:`~authxai.figures.common.ModelView` (``view``: the dataset
root and each architecture's preprocessing), so they show the image exactly as the model saw
it. :func:`draw_figure` calls either kind; :func:`authxai.figures.common.save_figure` writes
the figure as PDF and PNG atomically.
"""

import inspect

from authxai.errors import InputError
from authxai.figures.attribution import fig_examples, figA2_lime_tessellation
from authxai.figures.common import ModelView
from authxai.figures.consistency import (
    fig3_across_arch,
    fig4_across_examples,
    fig5_ensemble_maps,
    fig6_consistency_vs_localization,
    fig_seed_grid,
    figA3_across_range,
    figA4_across_iou,
)
from authxai.figures.models import fig_pred_vs_obs
from authxai.figures.psychometrics import fig2_psychometrics, figA1_kept_vs_removed
from authxai.figures.scorecard import fig7_sanity_checks, fig8_faithfulness, fig9_scorecard_forest
from authxai.workflow import registered_name

#: Figure name (or prefix, for per-architecture figures such as fig_pred_vs_obs_<arch>) -> drawer.
FIGURES = {
    "fig2_psychometrics": fig2_psychometrics,
    "figA1_kept_vs_removed": figA1_kept_vs_removed,
    "fig_pred_vs_obs": fig_pred_vs_obs,
    "fig_examples": fig_examples,
    "figA2_lime_tessellation": figA2_lime_tessellation,
    "fig3_across_arch": fig3_across_arch,
    "figA3_across_range": figA3_across_range,
    "figA4_across_iou": figA4_across_iou,
    "fig4_across_examples": fig4_across_examples,
    "fig5_ensemble_maps": fig5_ensemble_maps,
    "fig6_consistency_vs_localization": fig6_consistency_vs_localization,
    "fig7_sanity_checks": fig7_sanity_checks,
    "fig8_faithfulness": fig8_faithfulness,
    "fig9_scorecard_forest": fig9_scorecard_forest,
    "fig_seed_grid": fig_seed_grid,
}


def figure_function(name: str):
    """The drawer of figure ``name``: an exact registry key or the longest matching prefix."""
    key = registered_name(name, FIGURES)
    if key is None:
        raise KeyError(f"no figure named {name!r}; registered: {sorted(FIGURES)}")
    return FIGURES[key]


def draw_figure(name: str, inputs: dict[str, str], view: ModelView | None = None):
    """Figure ``name`` drawn from ``inputs``; figures with photo panels also get ``view``."""
    draw = figure_function(name)
    if "view" not in inspect.signature(draw).parameters:
        return draw(inputs)
    if view is None:
        raise InputError(
            f"figure {name}: shows photos but got no dataset root and preprocessing — give the figure "
            "rule's params.view (workflow/rules/figures.smk) for it"
        )
    return draw(inputs, view)


__all__ = ["FIGURES", "ModelView", "draw_figure", "figure_function"]
