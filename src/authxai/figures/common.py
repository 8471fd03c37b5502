"""Shared figure helpers: consistent style and atomic PDF + PNG output."""

from __future__ import annotations

import json
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from authxai.tables import atomic_path, provenance  # noqa: E402

DIMENSION_COLOURS = {"quality": "#4C72B0", "authenticity": "#DD8452", "correspondence": "#55A868"}


def new_figure(ncols: int, width: float = 4.2, height: float = 3.6, nrows: int = 1):
    """A figure with ``nrows × ncols`` axes, constrained layout, readable fonts."""
    plt.rcParams.update({"font.size": 9, "axes.titlesize": 10, "axes.spines.top": False, "axes.spines.right": False})
    return plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), layout="constrained", squeeze=False)


def panel_label(ax, letter: str) -> None:
    """Bold panel letter in the top-left corner, as in the paper's figures."""
    ax.text(-0.12, 1.04, letter, transform=ax.transAxes, fontweight="bold", fontsize=12, va="bottom")


def save_figure(fig, outputs: list[str | os.PathLike], config: dict | None = None) -> None:
    """Save ``fig`` to every path in ``outputs`` (format from the suffix), atomically.

    The provenance record goes into the PDF's Subject and the PNG's text chunk.
    """
    record = json.dumps(provenance(config), default=str)
    for out in outputs:
        target, tmp = atomic_path(out)
        fmt = Path(out).suffix.lstrip(".")
        meta = {"Subject": record} if fmt == "pdf" else {"authxai": record}
        fig.savefig(tmp, format=fmt, dpi=150, metadata=meta)
        os.replace(tmp, target)
    plt.close(fig)
