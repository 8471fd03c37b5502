"""Where every stage writes: the file names other rules, the figure registry and the final
targets ask for (all under results/). Rules name their outputs with these; a rule reading
another rule's single output uses ``rules.<name>.output``.
"""

LOGS = "results/logs"
#: Snakemake benchmark files of the heavy rules (wall time, memory, I/O per job).
BENCHMARKS = "results/benchmarks"
#: The image table of the data stage (ids, paths, roles; prepare_data checks every image).
IMAGE_TABLE = "results/data/images.parquet"
#: The metadata of the data stage (prepare_metadata: MOS, kept, category; no pixels read).
METADATA = "results/data/metadata.parquet"
SPLITS = "results/splits/splits.parquet"
STACKING = "results/ensemble/stacking.json"
ENSEMBLE_PREDICTIONS = "results/ensemble/predictions.parquet"


def features_file(arch="{arch}"):
    """Cached target-layer activations of every image (extract_features)."""
    return f"results/features/{arch}.safetensors"


def head_files(experiment, arch, seeds=None):
    """Regression heads of the given seeds (all by default) of one (experiment, arch)."""
    return [
        f"results/models/{experiment}/{arch}/seed{seed}/head.safetensors"
        for seed in (SEEDS if seeds is None else seeds)
    ]


def pruning_files(regime, arch, seeds):
    """SBS records of the given seeds' variants (pruned in ``regime``)."""
    return [f"results/pruning/{regime}/{arch}/seed{seed}.json" for seed in seeds]


def variants_file(regime="{regime}", arch="{arch}"):
    """Predictions and embeddings of every pruned variant of one (regime, arch)."""
    return f"results/variants/{regime}/{arch}.parquet"


def attribution_file(method, regime="{regime}", arch="{arch}", chunk="{chunk}"):
    """Attribution table of one (method, regime, arch, chunk) job: one row per explained
    image and seed (attribution.images_per_job images per chunk; see CHUNK_OF).

    One file per job, not per seed: the paper config's DAG then holds ~8k attribution files
    instead of ~78k, which is what a dry run and a cluster file system spend their time on.
    """
    return f"results/attributions/{method}/{regime}/{arch}/{chunk}.parquet"


def within_file(method="{method}", kind=""):
    """Within-architecture consistency of a method (``kind``: "", "_summary" or "pairs_")."""
    if kind == "pairs_":
        return f"results/consistency/within_pairs_{method}.parquet"
    return f"results/consistency/within_{method}{kind}.parquet"


def across_file(method="{method}", what="across"):
    """Across-architecture agreement (``what="prototypes"``: the prototype maps) of a method."""
    return f"results/consistency/{what}_{method}.parquet"


def localization_file(method="{method}"):
    return f"results/localization/{method}.parquet"


def counterfactual_file(arch="{arch}"):
    """Every Experiment 2 variant's prediction of the explained images with and without each
    planted artifact (embedded study)."""
    return f"results/counterfactual/predictions/{arch}.parquet"


def cf_agreement_file(method="{method}"):
    """Each test-regime map of a method against its variant's counterfactual truth."""
    return f"results/counterfactual/agreement/{method}.parquet"


#: Table 10's numbers: per architecture and variant, the share of the predictions' variance the
#: planted cues account for, with bootstrap CIs (the scorecard's paragraph reads it).
CF_VARIANCE = "results/counterfactual/variance_share.parquet"
#: Per method and trained architecture: consistency vs cue AUROC over images (Figure 6 reads it).
SCORECARD_RELATIONS = "results/scorecard/consistency_vs_localization.csv"


def sanity_file(arch="{arch}", kind=""):
    """Sanity-check similarities of one architecture (``kind="_maps"``: the maps)."""
    return f"results/sanity/{arch}{kind}.parquet"


def faithfulness_file(arch="{arch}"):
    """Faithfulness curves of every method on one architecture."""
    return f"results/faithfulness/{arch}.parquet"


def ensemble_map_file(method="{method}", image="{image}"):
    """Bagging and stacking maps of one image."""
    return f"results/ensemble/attributions/{method}/{image}.parquet"


def benchmark_file(rule, wildcards=""):
    """Snakemake's benchmark file of one job of a heavy rule."""
    return f"{BENCHMARKS}/{rule}/{wildcards or rule}.tsv"
