"""Consistency and ensemble figures: Figure 3 (across-architecture matrices), A.3 (range over
images), A.4 (IoU), Figure 4 (high/low consistency examples), Figure 5 (ensemble maps) and
Figure 6 (consistency against localization of the planted cues, beyond the paper)."""

from __future__ import annotations

import textwrap
from string import ascii_uppercase
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from authxai.attribution.maps import map_array, read_attributions
from authxai.attribution.methods import METHODS
from authxai.consistency import across_matrix, across_matrix_ci, agreement_columns
from authxai.figures.attribution import _signed
from authxai.figures.common import ModelView, first_variant, image_table, new_figure, panel_label, photo_panel
from authxai.models.backbones import arch_label
from authxai.plan import paths
from authxai.statistics import format_ci, relation
from authxai.tables import read_parquet

if TYPE_CHECKING:
    from authxai.plan import Plan

#: Panel order: the registry's (the paper's Figure 3: (A) Grad-CAM, (B) MPM, (C) LIME).
METHOD_ORDER = tuple(METHODS)
METHOD_LABEL = {name: method.label for name, method in METHODS.items()}


def _across(inputs: dict) -> dict[str, pd.DataFrame]:
    return {m: read_parquet(inputs["across"][m]) for m in METHOD_ORDER if m in inputs["across"]}


def across_inputs(plan: Plan) -> dict[str, dict]:
    """Figures 3, A.3 and A.4 read each method's across-architecture agreement (where there is one)."""
    if not plan.across_methods:
        return {}
    return {"across": {m: paths.across_file(m) for m in plan.across_methods}}


def fig3_inputs(plan: Plan) -> dict[str, dict]:
    return {"fig3_across_arch": inputs} if (inputs := across_inputs(plan)) else {}


def figA3_inputs(plan: Plan) -> dict[str, dict]:
    return {"figA3_across_range": inputs} if (inputs := across_inputs(plan)) else {}


def figA4_inputs(plan: Plan) -> dict[str, dict]:
    return {"figA4_across_iou": inputs} if (inputs := across_inputs(plan)) else {}


def _archs(across: pd.DataFrame) -> list[str]:
    return sorted(set(across["arch_a"]) | set(across["arch_b"]))


def _matrix(
    ax,
    fig,
    matrix: np.ndarray,
    archs: list[str],
    title: str,
    vmin: float = -1.0,
    ci: tuple[np.ndarray, np.ndarray] | None = None,
) -> None:
    """Architecture × architecture matrix with values (and 95% CIs) written in the cells."""
    im = ax.imshow(matrix, cmap="RdBu_r" if vmin < 0 else "viridis", vmin=vmin, vmax=1)
    ax.set_xticks(range(len(archs)), [arch_label(a) for a in archs], rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(len(archs)), [arch_label(a) for a in archs], fontsize=7)
    for i in range(len(archs)):
        for j in range(len(archs)):
            dark = abs(matrix[i, j]) > 0.6 if vmin < 0 else matrix[i, j] < 0.5
            text = f"{matrix[i, j]:.2f}"
            if ci is not None and i != j:
                text += f"\n[{ci[0][i, j]:.2f}, {ci[1][i, j]:.2f}]"
            size = 7 if ci is None or len(archs) <= 4 else 5
            ax.text(j, i, text, ha="center", va="center", fontsize=size, color="w" if dark else "k")
    ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02)


def fig3_across_arch(inputs: dict):
    """Mean over images of the prototype correlation per pair of architectures and method."""
    across = _across(inputs)
    fig, axes = new_figure(len(across), width=3.8, height=3.4)
    for k, (method, table) in enumerate(across.items()):
        archs = _archs(table)
        n = table["image_id"].nunique()
        _matrix(
            axes[0, k],
            fig,
            across_matrix(table, archs, "pearson", "mean"),
            archs,
            f"{METHOD_LABEL[method]} (mean r [95% CI], {n} images)",
            ci=across_matrix_ci(table, archs, "pearson"),
        )
        panel_label(axes[0, k], ascii_uppercase[k])
    return fig


def figA3_across_range(inputs: dict):
    """Minimum (top) and maximum (bottom) over images of the prototype correlation."""
    across = _across(inputs)
    fig, axes = new_figure(len(across), width=3.8, height=3.4, nrows=2)
    for k, (method, table) in enumerate(across.items()):
        archs = _archs(table)
        for row, stat in enumerate(("min", "max")):
            _matrix(
                axes[row, k],
                fig,
                across_matrix(table, archs, "pearson", stat),
                archs,
                f"{METHOD_LABEL[method]}: {stat} r over images",
            )
    return fig


def figA4_across_iou(inputs: dict):
    """Top-p% IoU of the prototypes (rows p = 5, 15, 25 %), averaged over images."""
    across = _across(inputs)
    fractions = [c for c in agreement_columns(next(iter(across.values()))) if c != "pearson"]
    fig, axes = new_figure(len(across), width=3.8, height=3.4, nrows=len(fractions))
    for k, (method, table) in enumerate(across.items()):
        archs = _archs(table)
        for row, col in enumerate(fractions):
            matrix = across_matrix(table, archs, col, "mean")
            _matrix(axes[row, k], fig, matrix, archs, f"{METHOD_LABEL[method]}: top {col[3:]}% IoU", vmin=0.0)
    return fig


def fig4_inputs(plan: Plan) -> dict[str, dict]:
    """Figure 4 also reads the photos and each method's prototypes."""
    if not plan.across_methods:
        return {}
    prototypes = {m: paths.across_file(m, "prototypes") for m in plan.across_methods}
    return {"fig4_across_examples": {"images": paths.IMAGE_TABLE, **across_inputs(plan), "prototypes": prototypes}}


def fig4_across_examples(inputs: dict, view: ModelView):
    """Per method, the image with the highest and the lowest mean across-architecture
    prototype correlation (as the first architecture saw it, planted cues outlined), with every
    architecture's prototype."""
    across = _across(inputs)
    archs = _archs(next(iter(across.values())))
    images = image_table(inputs["images"])
    fig, axes = new_figure(1 + len(archs), width=2.3, height=2.3, nrows=2 * len(across))
    for k, (method, table) in enumerate(across.items()):
        per_image = table.groupby("image_id")["pearson"].mean().sort_values()
        protos = read_parquet(inputs["prototypes"][method]).set_index(["image_id", "arch"])
        for r, (label, image) in enumerate((("highest", per_image.index[-1]), ("lowest", per_image.index[0]))):
            row = axes[2 * k + r]
            title = f"{METHOD_LABEL[method]} {label}\n{image}: mean r {per_image[image]:.2f}"
            photo_panel(row[0], view, images.loc[image], archs[0], title)
            for j, arch in enumerate(archs):
                cues = view.cue_mask(images.loc[image], arch)
                _signed(row[j + 1], map_array(protos.loc[(image, arch)]), arch_label(arch), fig, cues)
    return fig


def fig5_inputs(plan: Plan) -> dict[str, dict]:
    """Figure 5, where there are ensemble maps: per method, the ensembles' maps of the first two
    global test images (``ensemble``) and every architecture's tables of them (``single``)."""
    if not plan.ensemble_methods:
        return {}
    shown = plan.explained_test_images["val"][:2]
    return {
        "fig5_ensemble_maps": {
            "images": paths.IMAGE_TABLE,
            "predictions": paths.ENSEMBLE_PREDICTIONS,
            "ensemble": {m: plan.ensemble_maps(m)[:2] for m in plan.ensemble_methods},
            "single": {
                m: {arch: [plan.method_maps(m, "val", [image], [arch])[0] for image in shown] for arch in plan.archs}
                for m in plan.ensemble_methods
            },
        }
    }


def fig5_ensemble_maps(inputs: dict, view: ModelView):
    """Per global-test image: the photo (as the first architecture saw it, planted cues
    outlined), bagging and stacking maps per method, and seed 0 of every single architecture."""
    methods = [m for m in METHOD_ORDER if m in inputs["ensemble"]]
    images = range(max(len(tables) for tables in inputs["ensemble"].values()))
    archs = sorted(inputs["single"][methods[0]])
    photos = image_table(inputs["images"])
    fig, axes = new_figure(1 + 2 + len(archs), width=2.3, height=2.3, nrows=len(images) * len(methods))
    r = 0
    for i in images:
        for method in methods:
            ens = read_parquet(inputs["ensemble"][method][i]).set_index("kind")
            row = axes[r]
            first = ens.iloc[0]
            title = f"{first['image_id']}\n{METHOD_LABEL[method]}"
            photo = photos.loc[first["image_id"]]
            photo_panel(row[0], view, photo, archs[0], title)
            cues = {arch: view.cue_mask(photo, arch) for arch in archs}  # each mask file read once
            for j, kind in enumerate(("bagging", "stacking")):
                extra = f" (R² {ens.loc[kind, 'r2']:.2f})" if "r2" in ens.columns else ""
                label = f"{kind} ({first['n_variants']} variants){extra}"
                _signed(row[1 + j], map_array(ens.loc[kind]), label, fig, cues[archs[0]])
            for j, arch in enumerate(archs):
                single = first_variant(inputs["single"][method][arch][i], first["image_id"])
                label = f"{arch_label(arch)} seed {single['seed']}"
                _signed(row[3 + j], map_array(single), label, fig, cues[arch])
            r += 1
    return fig


def _relation_labels(inputs: dict[str, str], method: str) -> dict[str, str]:
    """Arch -> legend label with the scorecard's per-architecture relation (r [CI], n; trained
    backbones only); an architecture without one is a control, labelled as the null."""
    if not inputs.get("relations"):
        return {}
    relations = pd.read_csv(inputs["relations"])
    relations = relations[relations["method"] == method]
    return {
        r.arch: f"{arch_label(r.arch)}: r = {format_ci(r.r, r.r_low, r.r_high)} (n = {r.n})"
        for r in relations.itertuples()
    }


def fig6_inputs(plan: Plan) -> dict[str, dict]:
    """Figure 6, on images with planted cues: each method's within-architecture consistency and
    localization, and the scorecard's relations where there is a scorecard."""
    if not (plan.localization and plan.within_methods):
        return {}
    inputs = {
        "within": {m: paths.within_file(m) for m in plan.within_methods},
        "localization": {m: paths.localization_file(m) for m in plan.within_methods},
    }
    return {
        "fig6_consistency_vs_localization": {
            **inputs,
            **({"relations": paths.SCORECARD_RELATIONS} if plan.scorecard else {}),
        }
    }


def fig6_consistency_vs_localization(inputs: dict):
    """Does agreement imply correctness? Per image and architecture, the variants' within-
    architecture consistency (mean pairwise r) against how well their maps find the planted
    cue (mean AUROC over variants; 0.5 = chance); each trained architecture's r over its images
    in the legend, the control's points grey (the null, no r)."""
    methods = [m for m in METHOD_ORDER if m in inputs["within"]]
    fig, axes = new_figure(len(methods), width=3.8, height=3.6)
    for k, method in enumerate(methods):
        ax = axes[0, k]
        loc = read_parquet(inputs["localization"][method])
        loc = loc[(loc["kind"] == "variant") & (loc["regime"] == "test")]
        per_image = loc.groupby(["arch", "image_id"], as_index=False)["auroc"].mean()
        merged = read_parquet(inputs["within"][method]).merge(per_image, on=["arch", "image_id"])
        labels = _relation_labels(inputs, method)
        for arch, sub in merged.groupby("arch", sort=True):
            control = bool(labels) and arch not in labels
            label = f"{arch} (control: the null)" if control else labels.get(arch, arch_label(arch))
            style = {"color": "0.6", "marker": "D"} if control else {}
            ax.scatter(sub["pearson"], sub["auroc"], s=16, alpha=0.8, label=label, **style)
        ax.axhline(0.5, color="grey", lw=0.8, ls="--")
        if labels:
            ax.set_title(METHOD_LABEL[method])
        else:
            rel = relation(merged["pearson"].to_numpy(), merged["auroc"].to_numpy())
            ax.set_title(f"{METHOD_LABEL[method]}: r = {rel['r']:.2f} (n = {rel['n']})")
        ax.set_xlabel("within-architecture consistency (r)")
        ax.set_ylabel("cue localization AUROC")
        ax.set_ylim(0, 1)
        ax.legend(fontsize=6, loc="lower right")
        panel_label(ax, ascii_uppercase[k])
    return fig


def fig_seed_grid_inputs(plan: Plan) -> dict[str, dict]:
    """One figure per method with within-architecture consistency: every seed of the first
    architecture on its most and least consistent test image (``maps``: the tables holding them)."""
    return {
        f"fig_seed_grid_{method}": {
            "images": paths.IMAGE_TABLE,
            "within": paths.within_file(method),
            "maps": plan.method_maps(method, "test", plan.explained_test_images["test"], plan.archs[:1]),
        }
        for method in plan.within_methods
    }


def fig_seed_grid(inputs: dict, view: ModelView):
    """One method's maps of every seed of one architecture, side by side, on the explained test
    image where they agree most and the one where they agree least (within-architecture r,
    mean over pairs of seeds; the title names what r estimates where the consistency table
    says, e.g. LIME's independent split-half estimate); planted cues outlined."""
    # only what the panels draw: the chunk tables also hold LIME's segments and perturbations
    maps = read_attributions(inputs["maps"], columns=["method", "arch", "seed", "height", "width", "map"])
    arch = maps["arch"].iloc[0]
    within = read_parquet(inputs["within"])
    within = within[(within["arch"] == arch) & (within["subset"] == "test")].set_index("image_id")
    estimate = "; ".join(within["estimate"].unique()) if "estimate" in within else ""
    within = within["pearson"]
    within = within[within.index.isin(set(maps["image_id"]))].sort_values()
    images = image_table(inputs["images"])
    seeds = sorted(maps["seed"].unique())
    method = maps["method"].iloc[0]
    fig, axes = new_figure(1 + len(seeds), width=1.55, height=1.7, nrows=2)
    for r, (label, image_id) in enumerate((("most consistent", within.index[-1]), ("least", within.index[0]))):
        photo_panel(axes[r, 0], view, images.loc[image_id], arch, f"{label}\n{image_id}: r {within[image_id]:.2f}")
        cues = view.cue_mask(images.loc[image_id], arch)
        rows = maps[maps["image_id"] == image_id].set_index("seed")
        for j, seed in enumerate(seeds):
            _signed(axes[r, 1 + j], map_array(rows.loc[seed]), f"seed {seed}", fig, cues, colorbar=False)
    # two lines: with few seeds the figure is narrower than one line of title
    title = f"{METHOD_LABEL[method]} maps of {arch}, every seed\n(each on its own scale; red raises the prediction)"
    if estimate:
        title += "\n" + textwrap.fill(f"r: {estimate}", width=int(25 * (1 + len(seeds))))
    fig.suptitle(title, fontsize=9)
    return fig
