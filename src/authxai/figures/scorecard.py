"""Figures of the scorecard (beyond the paper): Figure 7, the randomization sanity checks, and
Figure 8, the deletion/insertion faithfulness curves."""

from __future__ import annotations

from string import ascii_uppercase
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from authxai.attribution.maps import map_array
from authxai.figures.common import ModelView, image_table, new_figure, outline_cues, panel_label
from authxai.figures.consistency import METHOD_LABEL, METHOD_ORDER
from authxai.models.backbones import arch_label
from authxai.plan import paths
from authxai.statistics import summarize_with_ci
from authxai.tables import read_parquet, read_parquets

if TYPE_CHECKING:
    from authxai.plan import Plan

LEVEL_LABEL = {"original": "original", "head": "head re-init", "data": "permuted\nratings", "all": "all stages"}


def _level_order(similarity: pd.DataFrame) -> list[str]:
    """Levels from the least to the most destroyed model, the data test last."""
    model = similarity[similarity["level"] != "data"].drop_duplicates("level").sort_values("stages", kind="stable")
    return ["original", *model["level"], "data"]


def _label(level: str) -> str:
    return LEVEL_LABEL.get(level, f"+ top {level.removeprefix('top')}\nstages")


def fig7_inputs(plan: Plan) -> dict[str, dict]:
    """Figure 7, where there is a scorecard: the first architecture's randomized maps and every
    architecture's similarities."""
    if not plan.scorecard:
        return {}
    return {
        "fig7_sanity_checks": {
            "images": paths.IMAGE_TABLE,
            "maps": paths.sanity_file(plan.archs[0], "_maps"),
            "sanity": {arch: paths.sanity_file(arch) for arch in plan.archs},
        }
    }


def fig7_sanity_checks(inputs: dict, view: ModelView):
    """(A) one image's maps per method as the model is randomized (first architecture; planted
    cues outlined); (B) Spearman r of |original| and |randomized| maps per level, mean over
    images with its bootstrap 95% CI (band), per architecture, and the threshold (dashed): a
    test passes where the whole band lies below it (:func:`authxai.sanity.sanity_verdicts`)."""
    maps = read_parquet(inputs["maps"])
    similarity = read_parquets(inputs["sanity"].values())
    levels = _level_order(similarity)
    threshold = float(similarity["threshold"].iloc[0])
    methods = [m for m in METHOD_ORDER if m in set(maps["method"])]
    image = sorted(maps["image_id"].unique())[0]
    cues = view.cue_mask(image_table(inputs["images"]).loc[image], maps["arch"].iloc[0])
    fig, axes = new_figure(len(levels) + 1, width=1.7, height=1.75, nrows=len(methods))
    for i, method in enumerate(methods):
        rows = maps[(maps["method"] == method) & (maps["image_id"] == image)].set_index("level")
        for j, level in enumerate(levels):
            ax = axes[i, j]
            values = np.abs(map_array(rows.loc[level]))
            ax.imshow(values / (values.max() or 1.0), cmap="magma", vmin=0, vmax=1)
            outline_cues(ax, cues, values.shape)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(_label(level), fontsize=7)
            if j == 0:
                ax.set_ylabel(METHOD_LABEL[method], fontsize=8)
        ax = axes[i, -1]
        sub = similarity[similarity["method"] == method]
        n_images = sub.groupby("arch")["image_id"].nunique()
        for arch, per_arch in sub.groupby("arch", sort=True):
            summary = summarize_with_ci(per_arch, ["level"], ["spearman_abs"]).set_index("level").reindex(levels[1:])
            x = np.arange(len(summary))
            (line,) = ax.plot(x, summary["spearman_abs"].to_numpy(), marker="o", ms=3, lw=1, label=arch_label(arch))
            ax.fill_between(
                x, summary["spearman_abs_low"], summary["spearman_abs_high"], color=line.get_color(), alpha=0.2, lw=0
            )
        ax.axhline(threshold, color="0.4", ls="--", lw=0.8, label=f"threshold {threshold:g}")
        ax.set_ylim(-1.05, 1.05)  # Spearman r spans -1..1
        ax.set_xticks(range(len(levels) - 1), [_label(lv).split("\n")[0] for lv in levels[1:]], rotation=60, fontsize=6)
        ax.tick_params(axis="y", labelsize=6)
        shown = f"{n_images.min()}" if n_images.min() == n_images.max() else f"{n_images.min()}–{n_images.max()}"
        ax.set_ylabel(f"Spearman r\n(mean, 95% CI, {shown} images)", fontsize=7)
        if i == 0:
            ax.legend(fontsize=5, frameon=False)
    panel_label(axes[0, 0], "A")
    panel_label(axes[0, -1], "B")
    fig.suptitle(f"Sanity checks: |map| of {maps['arch'].iloc[0]} on {image} as the model is randomized", fontsize=9)
    return fig


def fig8_inputs(plan: Plan) -> dict[str, dict]:
    """Figure 8, where there is a scorecard: every architecture's faithfulness curves."""
    if not plan.scorecard:
        return {}
    return {"fig8_faithfulness": {"faithfulness": {arch: paths.faithfulness_file(arch) for arch in plan.archs}}}


def fig8_faithfulness(inputs: dict):
    """Mean over images and variants of |Δ prediction| after deleting (MoRF solid, LeRF dashed)
    or inserting (dotted) pixels in each map's order, per method; one colour per architecture."""
    # the curves are defined where they are computed (with torch, which no other figure needs)
    from authxai.faithfulness import CURVES

    table = read_parquets(inputs["faithfulness"].values())
    methods = [m for m in METHOD_ORDER if m in set(table["method"])]
    fig, axes = new_figure(len(methods), width=3.2, height=2.9)
    styles = {"deletion_morf": "-", "deletion_lerf": "--", "insertion_morf": ":"}
    colours = {arch: f"C{k}" for k, arch in enumerate(sorted(table["arch"].unique()))}
    names = {
        curve: f"{mode}, {'most' if order == 'morf' else 'least'} relevant first"
        for curve, (mode, order) in CURVES.items()
    }
    for k, method in enumerate(methods):
        ax = axes[0, k]
        for arch, sub in table[table["method"] == method].groupby("arch", sort=True):
            for curve, style in styles.items():
                values = np.stack(sub[curve].map(np.asarray).to_list()).mean(axis=0)
                x = np.linspace(0, 1, len(values))
                label = f"{arch_label(arch)}: {names[curve]}"
                ax.plot(x, values, style, color=colours[arch], lw=1.2, label=label if k == 0 else None)
        ax.set_title(METHOD_LABEL[method], fontsize=9)
        ax.set_xlabel("fraction of pixels removed / restored")
        if k == 0:
            ax.set_ylabel("|Δ prediction| (rating units)")
        panel_label(ax, ascii_uppercase[k])
    fig.legend(loc="outside lower center", ncol=3, fontsize=6, frameon=False)
    return fig


#: Table 9's criteria as the forest plot shows them: column, axis label, the chance (or
#: no-effect) value drawn as a dashed line.
FOREST_CRITERIA = (
    ("within_r", "within-architecture r", 0.0),
    ("across_r", "across-architecture r", 0.0),
    ("auroc", "cue AUROC (0.5 = chance)", 0.5),
    ("cf_agreement", "counterfactual rank r", 0.0),
    ("faithfulness_gap", "faithfulness gap (MoRF − LeRF)", 0.0),
)


def _control_bands(ax, table: pd.DataFrame, column: str, y: np.ndarray) -> None:
    """Shade each method block with its control row's 95% CI of ``column`` (the null)."""
    if "control" not in table or f"{column}_vs_control_low" not in table:
        return
    for method in table["method"].unique():
        block = (table["method"] == method).to_numpy()
        control = table[block & table["control"].astype(bool).to_numpy()]
        if not len(control) or pd.isna(control[f"{column}_low"].iloc[0]):
            continue
        low, high = control[f"{column}_low"].iloc[0], control[f"{column}_high"].iloc[0]
        ax.fill_betweenx([y[block].min() - 0.45, y[block].max() + 0.45], low, high, color="0.88", lw=0, zorder=0)


def fig9_inputs(plan: Plan) -> dict[str, dict]:
    """Figure 9, where there is a scorecard: Table 9."""
    return {"fig9_scorecard_forest": {"table": paths.table_file("table9_scorecard")}} if plan.scorecard else {}


def fig9_scorecard_forest(inputs: dict[str, str]):
    """Table 9 at a glance: per criterion, each method × architecture's mean with its 95% CI
    over images, and the chance line; the control's CI shaded behind each method's rows (the
    null), a star where a trained row's paired difference from the control has its CI above 0,
    a hollow marker where the method does not pass a sanity check."""
    table = pd.read_csv(inputs["table"])
    criteria = [c for c in FOREST_CRITERIA if f"{c[0]}_mean" in table and table[f"{c[0]}_mean"].notna().any()]
    methods = [m for m in METHOD_ORDER if m in set(table["method"])]
    controls = table["control"].astype(bool) if "control" in table else pd.Series(False, index=table.index)
    table = table.assign(order=table["method"].map(methods.index), is_control=controls)
    table = table.sort_values(["order", "is_control", "arch"], kind="stable")
    archs = list(dict.fromkeys(table.sort_values(["is_control", "arch"])["arch"]))
    colours = {
        arch: f"C{k}" for k, arch in enumerate(a for a in archs if a not in set(table.loc[table["is_control"], "arch"]))
    }
    colours.update({arch: "0.45" for arch in table.loc[table["is_control"], "arch"]})
    y = np.arange(len(table))[::-1]
    names = [f"{METHOD_LABEL[m]} · {arch_label(a)}" for m, a in zip(table["method"], table["arch"])]
    fig, axes = new_figure(len(criteria), width=2.5, height=1.1 + 0.28 * len(table))
    for k, (column, label, chance) in enumerate(criteria):
        ax = axes[0, k]
        _control_bands(ax, table, column, y)
        for (_, row), yy in zip(table.iterrows(), y):
            mean, low, high = row[f"{column}_mean"], row[f"{column}_low"], row[f"{column}_high"]
            if pd.isna(mean):
                continue
            passed = str(row.get("sanity", "pass")).startswith("pass")
            ax.errorbar(
                mean,
                yy,
                xerr=[[mean - low], [high - mean]] if pd.notna(low) else None,
                fmt="D" if row["is_control"] else "o",
                ms=4,
                color=colours[row["arch"]],
                mfc=colours[row["arch"]] if passed else "white",
                capsize=2,
                lw=1,
            )
            if row.get(f"{column}_vs_control_low", np.nan) > 0:
                ax.plot(high, yy, marker="*", ms=6, color="k", ls="", transform=ax.transData)
        ax.axvline(chance, color="0.4", ls="--", lw=0.8)
        ax.xaxis.set_major_locator(plt.MaxNLocator(4))
        ax.set_xlabel(label, fontsize=8)
        ax.set_yticks(y, [] if k else names, fontsize=7)
        for boundary in np.flatnonzero(np.diff(table["order"].to_numpy()))[::-1]:
            ax.axhline(y[boundary] - 0.5, color="0.85", lw=0.6)
        panel_label(ax, ascii_uppercase[k])
    handles = [
        plt.Line2D([], [], marker="D" if colours[a] == "0.45" else "o", ls="", color=colours[a], label=a) for a in archs
    ]
    handles.append(plt.Line2D([], [], marker="o", ls="", color="0.3", mfc="white", label="sanity check not passed"))
    if table["is_control"].any():
        handles.append(plt.Rectangle((0, 0), 1, 1, color="0.88", label="control's 95% CI (the null)"))
        handles.append(plt.Line2D([], [], marker="*", ls="", color="k", label="above the control (paired CI)"))
    fig.legend(handles=handles, loc="outside lower center", ncol=min(4, len(handles)), fontsize=6, frameon=False)
    fig.suptitle("Scorecard (Table 9): mean and 95% CI over images", fontsize=9)
    return fig
