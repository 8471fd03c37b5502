"""Figures of the study: a registry from figure name to its drawing function and the inputs
it declares (:class:`Figure`; the workflow's plan asks every entry which figures a run draws).

Each figure function takes a dict of input paths and returns a matplotlib Figure; figures
with photo panels also take a :class:`~authxai.figures.common.ModelView` (``view``: the dataset
root and each architecture's preprocessing), so they show the image exactly as the model saw
it. :func:`draw_figure` calls either kind; :func:`authxai.figures.common.save_figure` writes
the figure as PDF and PNG atomically.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authxai.errors import InputError
from authxai.figures import attribution, consistency, models, psychometrics, scorecard
from authxai.figures.common import ModelView
from authxai.workflow import registered_name

if TYPE_CHECKING:
    from authxai.plan import Plan


@dataclass(frozen=True)
class Figure:
    """One figure: its drawing function and what it reads, declared beside it.

    ``inputs(plan)`` maps each figure file this entry draws for a run (one, one per
    architecture or method, or none where the run has no such results) to the named inputs
    ``draw`` reads: a path, or paths grouped by method, architecture or image (dicts and
    lists), so nothing is encoded in the names. ``draw(inputs)`` (or ``draw(inputs, view)``
    for figures with photo panels) returns a matplotlib Figure.
    """

    draw: Callable[..., Any]
    inputs: Callable[[Plan], dict[str, dict[str, Any]]]


#: Figure name (or prefix, for per-architecture figures such as fig_pred_vs_obs_<arch>) -> entry.
FIGURES = {
    "fig2_psychometrics": Figure(psychometrics.fig2_psychometrics, psychometrics.fig2_inputs),
    "figA1_kept_vs_removed": Figure(psychometrics.figA1_kept_vs_removed, psychometrics.figA1_inputs),
    "fig_pred_vs_obs": Figure(models.fig_pred_vs_obs, models.fig_pred_vs_obs_inputs),
    "fig_examples": Figure(attribution.fig_examples, attribution.fig_examples_inputs),
    "figA2_lime_tessellation": Figure(attribution.figA2_lime_tessellation, attribution.figA2_inputs),
    "fig3_across_arch": Figure(consistency.fig3_across_arch, consistency.fig3_inputs),
    "figA3_across_range": Figure(consistency.figA3_across_range, consistency.figA3_inputs),
    "figA4_across_iou": Figure(consistency.figA4_across_iou, consistency.figA4_inputs),
    "fig4_across_examples": Figure(consistency.fig4_across_examples, consistency.fig4_inputs),
    "fig6_consistency_vs_localization": Figure(consistency.fig6_consistency_vs_localization, consistency.fig6_inputs),
    "fig7_sanity_checks": Figure(scorecard.fig7_sanity_checks, scorecard.fig7_inputs),
    "fig9_scorecard_forest": Figure(scorecard.fig9_scorecard_forest, scorecard.fig9_inputs),
    "fig8_faithfulness": Figure(scorecard.fig8_faithfulness, scorecard.fig8_inputs),
    "fig_seed_grid": Figure(consistency.fig_seed_grid, consistency.fig_seed_grid_inputs),
    "fig5_ensemble_maps": Figure(consistency.fig5_ensemble_maps, consistency.fig5_inputs),
}


def figure_function(name: str):
    """The drawer of figure ``name``: an exact registry key or the longest matching prefix."""
    key = registered_name(name, FIGURES)
    if key is None:
        raise KeyError(f"no figure named {name!r}; registered: {sorted(FIGURES)}")
    return FIGURES[key].draw


def draw_figure(name: str, inputs: dict[str, Any], view: ModelView | None = None):
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


__all__ = ["FIGURES", "Figure", "ModelView", "draw_figure", "figure_function"]
