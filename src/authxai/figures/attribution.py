"""Attribution figures: the example grid per architecture and Appendix Figure A.2."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.colors import TwoSlopeNorm

from authxai.attribution.maps import map_array, segments_array
from authxai.attribution.methods import METHODS
from authxai.figures.common import ModelView, first_variant, image_table, new_figure, outline_cues, photo_panel
from authxai.plan import paths

if TYPE_CHECKING:
    from authxai.plan import Plan


def _superpixel_borders(ax, segments: np.ndarray, colour: tuple[float, float, float], alpha: float) -> None:
    """One-pixel superpixel borders drawn as a transparent layer over the panel's image."""
    border = np.zeros(segments.shape, bool)
    border[:, 1:] |= segments[:, 1:] != segments[:, :-1]
    border[1:, :] |= segments[1:, :] != segments[:-1, :]
    overlay = np.zeros(segments.shape + (4,), np.float32)
    overlay[border] = (*colour, alpha)
    ax.imshow(overlay)


def _signed(ax, values: np.ndarray, title: str, fig, cues: np.ndarray | None = None, colorbar: bool = True) -> None:
    """Diverging map centred on 0 (red = raises the prediction / its removal lowers it), with
    the planted cues outlined where ``cues`` (a mask in the map's pixel grid) is given."""
    lim = float(np.abs(values).max()) or 1.0
    im = ax.imshow(values, cmap="RdBu_r", norm=TwoSlopeNorm(0, -lim, lim))
    outline_cues(ax, cues, values.shape)
    ax.set_title(title, fontsize=8)
    ax.axis("off")
    if colorbar:
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02)


def _example_table(plan: Plan, method: str, arch: str) -> str:
    """The attribution table of the first explained image of the first regime (the examples
    show its first image)."""
    regime = plan.regimes[0]
    chunk = plan.chunk_of[regime][plan.explained_test_images[regime][0]]
    return paths.attribution_file(method, regime, arch, chunk)


def fig_examples_inputs(plan: Plan) -> dict[str, dict]:
    """One figure per architecture: the photos and every method's maps of the example image."""
    return {
        f"fig_examples_{arch}": {
            "images": paths.IMAGE_TABLE,
            "maps": {m: _example_table(plan, m, arch) for m in plan.methods},
        }
        for arch in plan.archs
    }


def fig_examples(inputs: dict, view: ModelView):
    """Image as the model saw it (planted cues outlined), then each method's panels of its
    first explained variant (:meth:`authxai.attribution.methods.Method.map_panels`: Grad-CAM,
    MPM per scale and their mean, LIME with superpixel borders). The seed is in the photo's
    title when every method shows the same one, else in each panel's."""
    rows = {m: first_variant(inputs["maps"][m]) for m in METHODS if m in inputs["maps"]}
    seeds = {int(row["seed"]) for row in rows.values()}
    panels = [
        (panel, "" if len(seeds) == 1 else f", seed {row['seed']}")
        for method, row in rows.items()
        for panel in METHODS[method].map_panels(row)
    ]
    first = next(iter(rows.values()))
    fig, axes = new_figure(1 + len(panels), width=2.4, height=2.4)
    axes = axes[0]
    image = image_table(inputs["images"]).loc[first["image_id"]]
    seed = f" (seed {first['seed']})" if len(seeds) == 1 else ""
    photo_panel(axes[0], view, image, first["arch"], f"{first['arch']}\n{first['image_id']}{seed}")
    cues = view.cue_mask(image, first["arch"])
    for ax, (panel, which) in zip(axes[1:], panels):
        _signed(ax, panel.values, panel.title + which, fig, cues)
        if panel.segments is not None:
            _superpixel_borders(ax, panel.segments, (0.2, 0.2, 0.2), alpha=0.5)
    return fig


def figA2_inputs(plan: Plan) -> dict[str, dict]:
    """Where LIME runs: the photos and its maps of the example image on the first architecture."""
    if "lime" not in plan.methods:
        return {}
    return {
        "figA2_lime_tessellation": {"images": paths.IMAGE_TABLE, "lime": _example_table(plan, "lime", plan.archs[0])}
    }


def figA2_lime_tessellation(inputs: dict[str, str], view: ModelView):
    """Appendix A.2: the SLIC tessellation LIME explains with (on the image as the model saw
    it, planted cues outlined), and the resulting map."""
    row = first_variant(inputs["lime"])
    seg = segments_array(row)
    fig, axes = new_figure(2, width=3.6, height=3.4)
    image = image_table(inputs["images"]).loc[row["image_id"]]
    photo_panel(axes[0, 0], view, image, row["arch"], f"SLIC tessellation ({row['n_segments']} superpixels)")
    _superpixel_borders(axes[0, 0], seg, (1.0, 1.0, 0.0), alpha=1.0)
    title = f"LIME {row['arch']} seed {row['seed']} (R² {row['r2']:.2f})"
    _signed(axes[0, 1], map_array(row), title, fig, view.cue_mask(image, row["arch"]))
    return fig
