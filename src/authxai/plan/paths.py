"""Where every stage writes: the file names of the workflow's outputs, all under ``results/``.

Rules name their outputs with these, and the plan (:mod:`authxai.plan`), the figure registry
and the final targets ask for the same names; a template argument left at its default is a
Snakemake wildcard (``"{arch}"``). Nothing here reads the config.
"""

from __future__ import annotations

from collections.abc import Iterable

from authxai.workflow import RESULTS, SYNTHETIC_COMBOS, SYNTHETIC_ROOT

LOGS = f"{RESULTS}/logs"
#: The HTML report of a finished run (`make run`, `authxai run`) and the log of building it.
REPORT = f"{RESULTS}/report.html"
REPORT_LOG = f"{LOGS}/report.log"
#: Snakemake benchmark files of the heavy rules (wall time, memory, I/O per job).
BENCHMARKS = f"{RESULTS}/benchmarks"
#: The image table of the data stage (ids, paths, roles; prepare_data checks every image).
IMAGE_TABLE = f"{RESULTS}/data/images.parquet"
#: What download_weights fetched (one record per backbone); the files themselves go to the
#: torch hub cache or to models.weights.<arch>, the one place outside results/ a rule writes.
WEIGHTS_RECORD = f"{RESULTS}/weights/downloads.json"
#: The metadata of the data stage (prepare_metadata: MOS, kept, category; no pixels read).
METADATA = f"{RESULTS}/data/metadata.parquet"
RATINGS = f"{RESULTS}/data/ratings.parquet"
SPLITS = f"{RESULTS}/splits/splits.parquet"
STACKING = f"{RESULTS}/ensemble/stacking.json"
ENSEMBLE_PREDICTIONS = f"{RESULTS}/ensemble/predictions.parquet"
#: Per global-test image: the ensembles' LIME vs MPM maps (Table 7b's rows).
ENSEMBLE_LIME_VS_MPM = f"{RESULTS}/ensemble/lime_vs_mpm.parquet"
#: Unpruned heads' and pruned variants' predictions on the fixed test images (Table A.pruning).
PRUNING_PREDICTIONS = f"{RESULTS}/pruning/predictions.parquet"
CONSISTENCY_RELATIONS = f"{RESULTS}/consistency/relations.parquet"
BEHAVIOUR_PAIRS = f"{RESULTS}/consistency/behaviour_pairs.parquet"
LOCALIZATION_SUMMARY = f"{RESULTS}/localization/summary.parquet"
#: Table 10's numbers: per architecture and variant, the share of the predictions' variance the
#: planted cues account for, with bootstrap CIs (the scorecard's paragraph reads it).
CF_VARIANCE = f"{RESULTS}/counterfactual/variance_share.parquet"
#: Per method and trained architecture: consistency vs cue AUROC over images (Figure 6 reads it).
SCORECARD_RELATIONS = f"{RESULTS}/scorecard/consistency_vs_localization.csv"
#: The scorecard's other outputs besides Table 9 and the relations.
SCORECARD = {
    "reading": f"{RESULTS}/scorecard/scorecard.html",
    "markdown": f"{RESULTS}/scorecard/scorecard.md",
    "across_pairs": f"{RESULTS}/scorecard/across_pairs.csv",
}
#: The explorer's static files (the page, its script and style, and its data folder).
EXPLORER = {
    "index": f"{RESULTS}/explorer/index.html",
    "script": f"{RESULTS}/explorer/explorer.js",
    "style": f"{RESULTS}/explorer/explorer.css",
    "data": f"{RESULTS}/explorer/data",
}
#: What synthesize_study writes (the embedded study's dataset root and exclusion list).
SYNTHETIC_STUDY = {
    "images": f"{SYNTHETIC_ROOT}/images.csv",
    "ratings": f"{SYNTHETIC_ROOT}/ratings.csv",
    "combos": SYNTHETIC_COMBOS,
    "pixels": f"{SYNTHETIC_ROOT}/images",
    "masks": f"{SYNTHETIC_ROOT}/masks",
}


def psychometrics_file(name: str = "{name}") -> str:
    """One psychometrics result (reliability, MOS summary, kept vs removed, ...)."""
    return f"{RESULTS}/psychometrics/{name}.parquet"


def table_file(table: str = "{table}", ext: str = "csv") -> str:
    """A results table as CSV or Markdown."""
    return f"{RESULTS}/tables/{table}.{ext}"


def figure_file(figure: str = "{figure}", ext: str = "pdf") -> str:
    """A figure as PDF or PNG."""
    return f"{RESULTS}/figures/{figure}.{ext}"


def features_file(arch: str = "{arch}") -> str:
    """Cached target-layer activations of every image (extract_features)."""
    return f"{RESULTS}/features/{arch}.safetensors"


def head_file(experiment: str = "{experiment}", arch: str = "{arch}", seed: object = "{seed}") -> str:
    """The regression head of one seed of one (experiment, arch)."""
    return f"{RESULTS}/models/{experiment}/{arch}/seed{seed}/head.safetensors"


def history_file(experiment: str = "{experiment}", arch: str = "{arch}", seed: object = "{seed}") -> str:
    """The training history of that head."""
    return f"{RESULTS}/models/{experiment}/{arch}/seed{seed}/history.parquet"


def head_files(experiment: str, arch: str, seeds: Iterable[int]) -> list[str]:
    """Regression heads of the given seeds of one (experiment, arch)."""
    return [head_file(experiment, arch, seed) for seed in seeds]


def pruning_files(regime: str, arch: str, seeds: Iterable[int]) -> list[str]:
    """SBS records of the given seeds' variants (pruned in ``regime``)."""
    return [f"{RESULTS}/pruning/{regime}/{arch}/seed{seed}.json" for seed in seeds]


def predictions_file(arch: str = "{arch}") -> str:
    """Every Experiment 1 variant's predictions of every image (evaluate)."""
    return f"{RESULTS}/predictions/{arch}.parquet"


def evaluation_file(arch: str = "{arch}") -> str:
    """Every Experiment 1 variant's metrics (evaluate)."""
    return f"{RESULTS}/evaluation/{arch}.parquet"


def variants_file(regime: str = "{regime}", arch: str = "{arch}") -> str:
    """Predictions and embeddings of every pruned variant of one (regime, arch)."""
    return f"{RESULTS}/variants/{regime}/{arch}.parquet"


def attribution_file(method: str, regime: str = "{regime}", arch: str = "{arch}", chunk: str = "{chunk}") -> str:
    """Attribution table of one (method, regime, arch, chunk) job: one row per explained
    image and seed (attribution.images_per_job images per chunk; see ``Plan.chunk_of``).

    One file per job, not per seed: the paper config's DAG then holds ~8k attribution files
    instead of ~78k, which is what a dry run and a cluster file system spend their time on.
    """
    return f"{RESULTS}/attributions/{method}/{regime}/{arch}/{chunk}.parquet"


def within_file(method: str = "{method}", kind: str = "") -> str:
    """Within-architecture consistency of a method (``kind``: "", "_summary" or "pairs_")."""
    if kind == "pairs_":
        return f"{RESULTS}/consistency/within_pairs_{method}.parquet"
    return f"{RESULTS}/consistency/within_{method}{kind}.parquet"


def across_file(method: str = "{method}", what: str = "across") -> str:
    """Across-architecture agreement (``what="prototypes"``: the prototype maps) of a method."""
    return f"{RESULTS}/consistency/{what}_{method}.parquet"


def localization_file(method: str = "{method}") -> str:
    """Every map of a method scored against the planted cues."""
    return f"{RESULTS}/localization/{method}.parquet"


def counterfactual_file(arch: str = "{arch}") -> str:
    """Every Experiment 2 variant's prediction of the explained images with and without each
    planted artifact (embedded study)."""
    return f"{RESULTS}/counterfactual/predictions/{arch}.parquet"


def cf_agreement_file(method: str = "{method}") -> str:
    """Each test-regime map of a method against its variant's counterfactual truth."""
    return f"{RESULTS}/counterfactual/agreement/{method}.parquet"


def sanity_file(arch: str = "{arch}", kind: str = "") -> str:
    """Sanity-check similarities of one architecture (``kind="_maps"``: the maps)."""
    return f"{RESULTS}/sanity/{arch}{kind}.parquet"


def faithfulness_file(arch: str = "{arch}") -> str:
    """Faithfulness curves of every method on one architecture."""
    return f"{RESULTS}/faithfulness/{arch}.parquet"


def ensemble_map_file(method: str = "{method}", image: str = "{image}") -> str:
    """Bagging and stacking maps of one image."""
    return f"{RESULTS}/ensemble/attributions/{method}/{image}.parquet"


def benchmark_file(rule: str, wildcards: str = "") -> str:
    """Snakemake's benchmark file of one job of a heavy rule."""
    return f"{BENCHMARKS}/{rule}/{wildcards or rule}.tsv"
