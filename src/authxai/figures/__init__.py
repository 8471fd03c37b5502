"""Figures of the study: a registry from figure name to a function drawing it.

Each figure function takes a dict of input paths and returns a matplotlib Figure;
:func:`authxai.figures.common.save_figure` writes it as PDF and PNG atomically.
"""

from authxai.figures.psychometrics import fig2_psychometrics, figA1_kept_vs_removed

FIGURES = {
    "fig2_psychometrics": fig2_psychometrics,
    "figA1_kept_vs_removed": figA1_kept_vs_removed,
}

__all__ = ["FIGURES"]
