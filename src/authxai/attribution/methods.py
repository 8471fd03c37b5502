"""The attribution methods: one :class:`Method` entry each in :data:`METHODS`.

Everything method-specific outside a method's own module is read from here: the config schema's
``attribution.methods`` enum and ``attribution.<method>`` settings block (:func:`schema_blocks`),
the workflow's one rule per method and its resources, the within-architecture consistency table
of each method, the figures' labels and map panels, and whether (and how) bagging/stacking
ensembles get maps. Adding a method is its module (a ``rows`` function, see
:func:`authxai.attribution.gradcam.gradcam_rows`) plus one entry below, and a report caption if
its within-consistency table should not use the generic one.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from authxai.attribution.maps import drops_array, map_array, segments_array
from authxai.ensemble import lime_ensemble_map, mpm_ensemble_map

#: Columns every attribution table has (one row per explained variant).
COMMON_COLUMNS = ("seed", "method", "arch", "regime", "image_id", "height", "width", "map")

#: The settings every method has: which variants it explains.
SEEDS_SETTING = {
    "seeds": {
        "default": "all",
        "description": "variants the method explains: all (default) or a list of seeds, e.g. [0]",
        "oneOf": [
            {"type": "string", "enum": ["all"]},
            {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 1},
        ],
    }
}


def _imported_on_call(module: str, name: str) -> Callable[..., Any]:
    """``module.name``, imported when first called: the registry is read by the config check
    and by jobs that only read maps, which need not import torch (~2 s each)."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"{module}.{name}, imported on first call."
    return call


@dataclass(frozen=True)
class Panel:
    """One map panel of a figure: the signed map, its title, and superpixel borders to draw."""

    values: np.ndarray
    title: str
    segments: np.ndarray | None = None


@dataclass(frozen=True, kw_only=True)
class Method:
    """One attribution method.

    ``rows(variants, image, settings, who)`` explains every variant of one architecture on one
    image (a dict per variant holding ``map`` and the ``columns`` it adds); ``settings`` are the
    JSON-schema properties of its ``attribution.<name>`` config block; ``panels(row)`` are the
    panels a figure shows of one row (default: the map, titled ``label``); ``ensemble(rows,
    weights, intercept)`` gives the map columns of a linear ensemble of the variants (None: the
    method has no ensemble maps); ``fixed_precision`` pins the trunk precision where the method
    ignores ``attribution.precision``; ``forward_only``: its ``rows`` read nothing of the
    variants but their outputs (calling them, their ``occluded`` and the number of ``heads``),
    so several networks sharing trunk stages may run as one (the sanity checks:
    :class:`~authxai.attribution.variants.BranchedTrunkVariants`); ``within(paths)`` gives its within-architecture
    consistency (pairs, per_image) from its attribution tables (None: the maps' pairwise
    agreement, :func:`authxai.consistency.map_within`); ``tables`` are the tables about this
    method alone beyond its within-consistency table, each with the maps it needs (``"variants"``:
    the explained variants' maps; ``"ensemble"``: its ensemble maps); ``compared_in`` names, per
    other method, the table comparing the two methods' ensemble maps (made when both have them);
    ``resources`` are one job's defaults (mem_mb, runtime in minutes per image), which profiles
    override.
    """

    name: str
    label: str
    rows: Callable[..., list[dict[str, Any]]]
    columns: tuple[str, ...] = ()
    settings: Mapping[str, dict] = field(default_factory=dict)
    panels: Callable[[Mapping], list[Panel]] | None = None
    ensemble: Callable[[list[dict], np.ndarray, float], dict] | None = None
    within_table: str | None = None
    within: Callable[[list[str]], tuple[Any, Any]] | None = None
    fixed_precision: str | None = None
    forward_only: bool = False
    tables: Mapping[str, str] = field(default_factory=dict)
    compared_in: Mapping[str, str] = field(default_factory=dict)
    resources: Mapping[str, int] = field(default_factory=lambda: {"mem_mb": 16000, "runtime": 5})

    def __post_init__(self) -> None:
        # the name is a rule name, a folder under results/attributions/ and a config key (no
        # name is split apart again: figures get their inputs grouped by method)
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise ValueError(f"method name {self.name!r}: use lower-case letters, digits and _ only")
        for table, maps in self.tables.items():
            if maps not in ("variants", "ensemble"):
                raise ValueError(f"method {self.name}: table {table} needs 'variants' or 'ensemble' maps, not {maps!r}")

    @property
    def within_table_name(self) -> str:
        """Name of its within-architecture consistency table (results/tables/<name>.csv)."""
        return self.within_table or f"table_within_{self.name}"

    def within_consistency(self, paths: list[str]) -> tuple[Any, Any]:
        """(pairs, per_image) within-architecture consistency tables of its attribution tables."""
        if self.within is not None:
            return self.within(paths)
        from authxai.consistency import map_within  # scipy: not for the config check

        return map_within(paths)

    def map_panels(self, row: Mapping) -> list[Panel]:
        """The figure panels of one attribution row."""
        return self.panels(row) if self.panels else [Panel(map_array(row), self.label)]

    def precision(self, configured: str | Mapping[str, str]) -> str:
        """Trunk precision its jobs run at, given ``attribution.precision`` (one precision for
        every method, or a mapping per method name where a method left out runs fp32)."""
        if not isinstance(configured, str):
            configured = configured.get(self.name, "fp32")
        return self.fixed_precision or configured


def _lime_panels(row: Mapping) -> list[Panel]:
    return [Panel(map_array(row), f"LIME (R² {row['r2']:.2f})", segments_array(row))]


def _mpm_panels(row: Mapping) -> list[Panel]:
    drops = drops_array(row)
    per_scale = [Panel(d, f"MPM {side}px") for d, side in zip(drops, row["patch_sizes"])]
    return per_scale + [Panel(drops.mean(axis=0), "MPM mean")]


#: In the order figures show them (the paper's Figure 3: Grad-CAM, MPM, LIME).
METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method(
            name="gradcam",
            label="Grad-CAM",
            rows=_imported_on_call("authxai.attribution.gradcam", "gradcam_rows"),
            within_table="table4_within_gradcam",
            # its gradients always run in fp32: its jobs do not depend on attribution.precision
            fixed_precision="fp32",
            resources={"mem_mb": 16000, "runtime": 2},
        ),
        Method(
            name="mpm",
            label="MPM",
            rows=_imported_on_call("authxai.attribution.mpm", "mpm_rows"),
            columns=("drops", "patch_sizes", "stride"),
            settings={
                "patch_sizes": {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 1},
                    "minItems": 1,
                    "default": [3, 17, 65],
                    "description": "sides in pixels of the square masks, one map per size",
                },
                "stride": {
                    "type": "integer",
                    "minimum": 1,
                    "default": 1,
                    "description": "centre grid step; > 1 interpolates",
                },
                "batch_size": {
                    "type": "integer",
                    "minimum": 1,
                    "default": 64,
                    "description": "masked images per forward batch",
                },
                "incremental": {
                    "type": "boolean",
                    "default": True,
                    "description": "recompute only what each patch changes in the trunk's leading local "
                    "stages (exact up to float32 rounding; 2-3x faster on EfficientNet-Lite); false = a full "
                    "pass per masked image",
                },
            },
            panels=_mpm_panels,
            ensemble=mpm_ensemble_map,
            within_table="table5b_within_mpm",
            forward_only=True,
            resources={"mem_mb": 16000, "runtime": 10},
        ),
        Method(
            name="lime",
            label="LIME",
            rows=_imported_on_call("authxai.attribution.lime", "lime_rows"),
            columns=(
                "coefficients",
                "intercept",
                "r2",
                "n_segments",
                "segments",
                "perturbation_seed",
                "num_samples",
                "predictions",
            ),
            settings={
                "n_segments": {
                    "type": "integer",
                    "minimum": 2,
                    "default": 150,
                    "description": "SLIC superpixels (at most this many): the features of the surrogate",
                },
                "num_samples": {
                    "type": "integer",
                    "minimum": 10,
                    "default": 1000,
                    "description": "perturbed images the surrogate is fitted on",
                },
                "seed": {
                    "type": "integer",
                    "minimum": 0,
                    "default": 0,
                    "description": "base of the perturbation seeds (each variant's is derived from it, the image "
                    "and the variant)",
                },
                "shared_samples": {
                    "type": "boolean",
                    "default": False,
                    "description": "true: one perturbation draw (seed) for every variant and image (faster; "
                    "the consistency tables estimate the independent within-architecture r from split halves "
                    "of the draw)",
                },
                "batch_size": {
                    "type": "integer",
                    "minimum": 1,
                    "default": 64,
                    "description": "perturbed images per forward batch",
                },
            },
            panels=_lime_panels,
            ensemble=lime_ensemble_map,
            within_table="table5_within_lime",
            forward_only=True,
            # a shared draw shares LIME's sampling noise: split halves give the independent r
            within=_imported_on_call("authxai.consistency_lime", "lime_within"),
            # the surrogate fits' R^2 (Table A.2; 7c for the ensembles) and the paper's LIME-MPM comparison
            tables={"tableA2_lime_fidelity": "variants", "table7c_ensemble_lime_fidelity": "ensemble"},
            compared_in={"mpm": "table7b_ensemble_lime_vs_mpm"},
            resources={"mem_mb": 16000, "runtime": 5},
        ),
    )
}


def get_method(name: str) -> Method:
    """Registry lookup with a one-line error listing the known methods."""
    if name not in METHODS:
        raise KeyError(f"unknown attribution method {name!r}: use one of {sorted(METHODS)}")
    return METHODS[name]


def schema_blocks() -> tuple[list[str], dict[str, dict]]:
    """The config schema's method enum and each method's ``attribution.<name>`` block."""
    blocks = {
        name: {
            "type": "object",
            "additionalProperties": False,
            "default": {},
            "description": f"settings of {m.label}",
            "properties": {**m.settings, **SEEDS_SETTING},
        }
        for name, m in METHODS.items()
    }
    return list(METHODS), blocks
