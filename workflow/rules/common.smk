"""Config validation, dataset inputs and the list of final outputs (imported by every stage)."""

import sys

from authxai.config import validate_config
from authxai.data.adapters import metadata_for_dag
from authxai.errors import InputError
from authxai.splits import explanation_ids, explanation_sample

try:
    _validated = validate_config(dict(config))
except InputError as _exc:
    sys.exit(f"authxai config error: {_exc}")
config.clear()
config.update(_validated)

SYNTHETIC_ROOT = "results/synthetic"
if config["dataset"]["kind"] == "synthetic":
    # The embedded study lives where synthesize_study writes it; its exclusion list too.
    config["dataset"]["root"] = SYNTHETIC_ROOT
    if not config["dataset"]["exclusion"].get("combos_file"):
        config["dataset"]["exclusion"][
            "combos_file"
        ] = f"{SYNTHETIC_ROOT}/excluded_combos.csv"

LOGS = "results/logs"
ARCHS = config["models"]["archs"]
SEEDS = list(range(config["training"]["seeds"]))
REGIMES = config["attribution"]["regimes"]
METHODS = config["attribution"]["methods"]
try:
    # The explanation images are a pure function of the metadata and seeds: the DAG lists
    # every per-image attribution job before anything runs.
    _META = metadata_for_dag(config["dataset"], config["synthetic"])
except InputError as _exc:
    sys.exit(f"authxai input error: {_exc}")
EXPLAIN = explanation_sample(
    _META,
    explanation_ids(_META, "exp12", config["seed"], config["splits"]["n_bins"]),
    config["attribution"]["n_images"],
)
PSYCHOMETRICS = [
    "reliability",
    "mos_summary",
    "kept_vs_removed",
    "kept_vs_removed_participants",
    "mean_sd",
]
#: Figure name -> the named inputs its drawing function reads (see authxai.figures.FIGURES).
FIGURE_INPUTS = {
    "fig2_psychometrics": {
        "images": "results/data/metadata.parquet",
        "mos_summary": "results/psychometrics/mos_summary.parquet",
        "mean_sd": "results/psychometrics/mean_sd.parquet",
    },
    "figA1_kept_vs_removed": {
        "images": "results/data/metadata.parquet",
        "kept_vs_removed": "results/psychometrics/kept_vs_removed.parquet",
        "participants": "results/psychometrics/kept_vs_removed_participants.parquet",
    },
}
for _arch in ARCHS:
    FIGURE_INPUTS[f"fig_pred_vs_obs_{_arch}"] = {
        "predictions": f"results/predictions/{_arch}.parquet"
    }
for _arch in ARCHS:
    FIGURE_INPUTS[f"fig_examples_{_arch}"] = {
        "images": "results/data/images.parquet",
        **{
            m: f"results/attributions/{m}/{REGIMES[0]}/{_arch}/{EXPLAIN[0]}.parquet"
            for m in METHODS
        },
    }
if "lime" in METHODS:
    FIGURE_INPUTS["figA2_lime_tessellation"] = {
        "images": "results/data/images.parquet",
        "lime": f"results/attributions/lime/{REGIMES[0]}/{ARCHS[0]}/{EXPLAIN[0]}.parquet",
    }
TABLES = ["table2_performance", "table3_beyond_quality"]


wildcard_constraints:
    figure="|".join(FIGURE_INPUTS),
    arch="|".join(ARCHS),
    seed=r"\d+",
    regime="|".join(REGIMES),
    image="|".join(EXPLAIN),


def dataset_inputs(wildcards=None):
    """Files the dataset adapter reads (so edits to them rerun the data stage)."""
    ds = config["dataset"]
    files = []
    if ds["kind"] == "aigciqa2023":
        files.append(ds["table"])
    else:
        files += [
            f"{ds['root']}/{ds['images']}",
            f"{ds['root']}/{ds['ratings'] or 'ratings.csv'}",
        ]
    if ds["kind"] == "aigciqa2023" and ds["ratings"]:
        files.append(f"{ds['root']}/{ds['ratings']}")
    if ds["exclusion"].get("combos_file"):
        files.append(ds["exclusion"]["combos_file"])
    return files


def image_inputs(wildcards=None):
    """Rendered image folders of the embedded study; external datasets are checked by the script."""
    if config["dataset"]["kind"] == "synthetic":
        return [f"{SYNTHETIC_ROOT}/images", f"{SYNTHETIC_ROOT}/masks"]
    return []


def figure_inputs(wildcards):
    return FIGURE_INPUTS[wildcards.figure]


def preprocess(arch):
    """Resize/crop of one architecture (global setting plus its override)."""
    models = config["models"]
    return {
        "resize": models["resize"],
        "crop": models["crop"],
        **models["overrides"].get(arch, {}),
    }


def all_outputs():
    """Every final product of the pipeline for the configured dataset."""
    return (
        ["results/data/images.parquet"]
        + expand("results/psychometrics/{name}.parquet", name=PSYCHOMETRICS)
        + expand("results/tables/psychometrics.{ext}", ext=["csv", "md"])
        + expand("results/tables/{table}.{ext}", table=TABLES, ext=["csv", "md"])
        + expand(
            "results/attributions/{method}/{regime}/{arch}/{image}.parquet",
            method=METHODS,
            regime=REGIMES,
            arch=ARCHS,
            image=EXPLAIN,
        )
        + expand(
            "results/figures/{figure}.{ext}", figure=FIGURE_INPUTS, ext=["pdf", "png"]
        )
    )
