"""What the pipeline produces for this config: which stages apply, the tables, the figure
registry (figure -> the named files its drawing function reads; drawers in
authxai.figures.FIGURES), report captions, and the final targets.
"""

from authxai.consistency import prototype_label
from authxai.errors import InputError
from authxai.workflow import check_outputs, registered_name

PSYCHOMETRICS = [
    "reliability",
    "mos_summary",
    "kept_vs_removed",
    "kept_vs_removed_participants",
    "mean_sd",
]

# ----------------------------------------------------------------- which stages apply
#: Within-architecture consistency needs >= 2 explained variants; it is Experiment 2's (test).
WITHIN_METHODS = (
    [m for m in METHODS if len(method_seeds(m)) >= 2] if "test" in REGIMES else []
)
ACROSS_METHODS = METHODS if "test" in REGIMES and len(ARCHS) >= 2 else []
#: Methods whose prototypes average a subset of their variants: their all-variant prototypes
#: are the labelled extra across_<method>_allvariants.
ALLVARIANT_METHODS = [
    m for m in ACROSS_METHODS if prototype_seeds(m) != method_seeds(m)
]
#: Ensembles combine the Experiment 3 (val) variants of the trained backbones (the control's
#: are Table 7's labelled extra); their maps need every seed's map.
ENSEMBLE = "val" in REGIMES and bool(TRAINED_ARCHS)
ENSEMBLE_METHODS = [
    m
    for m in METHODS
    if ENSEMBLE and METHOD_REGISTRY[m].ensemble is not None and method_seeds(m) == SEEDS
]
#: The planted-cue study knows where the cues are: its maps are scored against them.
LOCALIZATION = config["dataset"]["kind"] == "synthetic"
#: Sanity checks, faithfulness and the scorecard explain Experiment 2's variants (test).
SCORECARD = "test" in REGIMES
#: The planted-cue study renders its images itself: it can render them without each artifact
#: and ask how much the Experiment 2 variants rely on it (Table 10, the scorecard's rank r).
COUNTERFACTUAL = LOCALIZATION and SCORECARD

# ----------------------------------------------------------------- tables
EXPERIMENT1_TABLES = ["table2_performance", "table3_beyond_quality"]
#: Within-consistency table of each method that gets one.
WITHIN_TABLES = {m: METHOD_REGISTRY[m].within_table_name for m in WITHIN_METHODS}
TABLES = (
    EXPERIMENT1_TABLES
    + ["tableA_pruning"]
    + (["tableA2_lime_fidelity"] if "lime" in METHODS else [])
    + ["tableA3_head_parameters"]
    + list(WITHIN_TABLES.values())
    + (
        [
            "table6_consistency_relations",
            "tableA4_consistency_vs_mae",
            "tableA4b_consistency_vs_behaviour_mantel",
        ]
        if WITHIN_METHODS
        else []
    )
    + (["tableA_across_prototypes"] if ACROSS_METHODS else [])
    + (["table7_ensembles"] if ENSEMBLE else [])
    + (
        ["table7b_ensemble_lime_vs_mpm"]
        if {"lime", "mpm"} <= set(ENSEMBLE_METHODS)
        else []
    )
    + (["table7c_ensemble_lime_fidelity"] if "lime" in ENSEMBLE_METHODS else [])
    + (["table8_localization"] if LOCALIZATION else [])
    + (["table9_scorecard"] if SCORECARD else [])
    + (["table10_counterfactual"] if COUNTERFACTUAL else [])
)

# ----------------------------------------------------------------- figures
_FIRST_REGIME = REGIMES[0]
_FIRST_IMAGE = EXPLAINED_TEST_IMAGES[_FIRST_REGIME][0]
#: Its attribution table (per-architecture examples and Figure A.2 show the table's first image).
_FIRST_CHUNK = CHUNK_OF[_FIRST_REGIME][_FIRST_IMAGE]
#: Figure name -> the named inputs its drawing function reads (see authxai.figures.FIGURES).
FIGURE_INPUTS = {
    "fig2_psychometrics": {
        "images": METADATA,
        "mos_summary": "results/psychometrics/mos_summary.parquet",
        "mean_sd": "results/psychometrics/mean_sd.parquet",
    },
    "figA1_kept_vs_removed": {
        "images": METADATA,
        "kept_vs_removed": "results/psychometrics/kept_vs_removed.parquet",
        "participants": "results/psychometrics/kept_vs_removed_participants.parquet",
    },
    **{
        f"fig_pred_vs_obs_{arch}": {
            "predictions": f"results/predictions/{arch}.parquet"
        }
        for arch in ARCHS
    },
    **{
        f"fig_examples_{arch}": {
            "images": IMAGE_TABLE,
            **{
                m: attribution_file(m, _FIRST_REGIME, arch, _FIRST_CHUNK)
                for m in METHODS
            },
        }
        for arch in ARCHS
    },
}
if "lime" in METHODS:
    FIGURE_INPUTS["figA2_lime_tessellation"] = {
        "images": IMAGE_TABLE,
        "lime": attribution_file("lime", _FIRST_REGIME, ARCHS[0], _FIRST_CHUNK),
    }
if ACROSS_METHODS:
    _across = {m: across_file(m) for m in ACROSS_METHODS}
    FIGURE_INPUTS["fig3_across_arch"] = _across
    FIGURE_INPUTS["figA3_across_range"] = _across
    FIGURE_INPUTS["figA4_across_iou"] = _across
    FIGURE_INPUTS["fig4_across_examples"] = {
        "images": IMAGE_TABLE,
        **_across,
        **{f"prototypes_{m}": across_file(m, "prototypes") for m in ACROSS_METHODS},
    }
if LOCALIZATION and WITHIN_METHODS:
    FIGURE_INPUTS["fig6_consistency_vs_localization"] = {
        **{f"within_{m}": within_file(m) for m in WITHIN_METHODS},
        **{f"localization_{m}": localization_file(m) for m in WITHIN_METHODS},
        **({"relations": SCORECARD_RELATIONS} if SCORECARD else {}),
    }
if SCORECARD:
    FIGURE_INPUTS["fig7_sanity_checks"] = {
        "images": IMAGE_TABLE,
        "maps": sanity_file(ARCHS[0], "_maps"),
        **{f"sanity_{arch}": sanity_file(arch) for arch in ARCHS},
    }
    FIGURE_INPUTS["fig9_scorecard_forest"] = {
        "table": "results/tables/table9_scorecard.csv"
    }
    FIGURE_INPUTS["fig8_faithfulness"] = {
        f"faithfulness_{arch}": faithfulness_file(arch) for arch in ARCHS
    }
for _method in WITHIN_METHODS:
    # Every seed of the first architecture on its most and least consistent test image.
    FIGURE_INPUTS[f"fig_seed_grid_{_method}"] = {
        "images": IMAGE_TABLE,
        "within": within_file(_method),
        **{
            f"maps_{i}": path
            for i, path in enumerate(
                method_maps(_method, "test", EXPLAINED_TEST_IMAGES["test"], ARCHS[:1])
            )
        },
    }
if ENSEMBLE_METHODS:
    FIGURE_INPUTS["fig5_ensemble_maps"] = {
        "images": IMAGE_TABLE,
        "predictions": ENSEMBLE_PREDICTIONS,
        **{
            f"ensemble_{m}_{i}": path
            for m in ENSEMBLE_METHODS
            for i, path in enumerate(ensemble_maps(m)[:2])
        },
        **{
            f"single_{m}_{arch}_{i}": attribution_file(
                m, "val", arch, CHUNK_OF["val"][image]
            )
            for m in ENSEMBLE_METHODS
            for arch in ARCHS
            for i, image in enumerate(EXPLAINED_TEST_IMAGES["val"][:2])
        },
    }


wildcard_constraints:
    figure="|".join(FIGURE_INPUTS),


# ----------------------------------------------------------------- captions
CAPTIONS = REPORT_DIR / "captions"
#: The captions there (listed once: every table and figure looks its caption up).
CAPTION_STEMS = sorted(p.stem for p in CAPTIONS.glob("*.rst"))


def caption_file(name):
    """Report caption of a figure or table: authxai/report/captions/<name>.rst, or the caption
    it is filed under (the longest registered prefix: fig_examples_<arch> -> fig_examples,
    table_within_<method> -> table_within)."""
    stem = registered_name(name, CAPTION_STEMS)
    if stem is None:
        sys.exit(
            f"authxai: no report caption for {name}: add src/authxai/report/captions/{name}.rst"
        )
    return CAPTIONS / f"{stem}.rst"


def caption(name):
    return caption_file(name).read_text()


def table_outputs(tables):
    """Named outputs ``<table>_csv`` (in the report, with its caption) and ``<table>_md``."""
    outputs = {}
    for table in tables:
        outputs[f"{table}_csv"] = report(
            f"results/tables/{table}.csv",
            caption=str(caption_file(table)),
            category="Tables",
        )
        outputs[f"{table}_md"] = f"results/tables/{table}.md"
    return outputs


# ----------------------------------------------------------------- final targets
def under_results(paths):
    """``paths``, checked to stay inside results/ (they are built from image ids and config)."""
    try:
        check_outputs(paths, "authxai")
    except InputError as exc:
        sys.exit(f"authxai input error: {exc}")
    return paths


def all_outputs():
    """Every final product of the pipeline for the configured dataset (all under results/)."""
    return under_results(
        [IMAGE_TABLE]
        + expand("results/psychometrics/{name}.parquet", name=PSYCHOMETRICS)
        + expand("results/tables/psychometrics.{ext}", ext=["csv", "md"])
        + expand("results/tables/{table}.{ext}", table=TABLES, ext=["csv", "md"])
        + [path for method in METHODS for path in explained_maps(method)]
        + expand(
            "results/figures/{figure}.{ext}", figure=FIGURE_INPUTS, ext=["pdf", "png"]
        )
        + [path for m in ENSEMBLE_METHODS for path in ensemble_maps(m)]
        + ["results/explorer/index.html"]
    )
