"""The validated config, the study's axes (architectures, seeds, regimes, methods), the images
each regime explains, and the wildcard constraints — everything later files read at parse time.
"""

import copy
import re
import sys
from pathlib import Path

from authxai.attribution.methods import METHODS as METHOD_REGISTRY
from authxai.config import validate_config
from authxai.data.adapters import metadata_for_dag
from authxai.data.checks import check_study
from authxai.errors import InputError
from authxai.models.backbones import control_archs, get_spec
from authxai.splits import REGIMES as REGIME_SPLITS
from authxai.splits import explanation_ids, explanation_sample, training_pool_ids
from authxai.workflow import SYNTHETIC_COMBOS, SYNTHETIC_ROOT, image_chunks

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

ARCHS = config["models"]["archs"]
#: Control architectures (registry property): the null, never among the trained backbones.
CONTROL_ARCHS = control_archs(ARCHS)
TRAINED_ARCHS = [arch for arch in ARCHS if arch not in CONTROL_ARCHS]
#: Architecture -> what Table A.3 prints of its registry entry (its job imports no torch).
HEAD_SPECS = {
    arch: {
        "embed_dim": get_spec(arch).embed_dim,
        "head_hidden": list(get_spec(arch).head_hidden),
        "target_layer": get_spec(arch).target_layer,
        "control": get_spec(arch).control,
    }
    for arch in ARCHS
}
SEEDS = list(range(config["training"]["seeds"]))
REGIMES = config["attribution"]["regimes"]
METHODS = config["attribution"]["methods"]
#: Regime -> the experiment whose heads it prunes and explains (test: Exp. 2, val: Exp. 3).
REGIME_EXPERIMENT = {regime: REGIME_SPLITS[regime][0] for regime in REGIMES}
EXPERIMENTS = sorted({"exp12", *REGIME_EXPERIMENT.values()})


def _explained_test_images(meta, regime, experiment):
    """A MOS-spread sample of the experiment's fixed test set (Exp. 2: the shared explanation
    set; Exp. 3: the global test set of the ensembles)."""
    ids = explanation_ids(meta, experiment, config["seed"], config["splits"]["n_bins"])
    size = config["attribution"][
        "n_images" if regime == "test" else "n_ensemble_images"
    ]
    return explanation_sample(meta, ids, size)


try:
    # The explained images are a pure function of the metadata and seeds: the DAG lists every
    # per-image attribution job before anything runs.
    _META, _RATINGS = metadata_for_dag(config["dataset"], config["synthetic"])
    check_study(_META, _RATINGS, config)
    #: Regime -> the test-set images its variants are explained on.
    EXPLAINED_TEST_IMAGES = {
        regime: _explained_test_images(_META, regime, experiment)
        for regime, experiment in REGIME_EXPERIMENT.items()
    }
except InputError as _exc:
    sys.exit(f"authxai input error: {_exc}")

#: Training-pool images of Experiment 2 that also get attributions (Table 6 on training images).
EXPLAINED_TRAINING_IMAGES = explanation_sample(
    _META,
    training_pool_ids(_META, "exp12", config["seed"], config["splits"]["n_bins"]),
    config["attribution"]["n_train_images"],
)
#: Regime -> every image its variants are explained on (test: also the training-pool sample).
EXPLAINED_IMAGES = {
    regime: images + (EXPLAINED_TRAINING_IMAGES if regime == "test" else [])
    for regime, images in EXPLAINED_TEST_IMAGES.items()
}
#: Regime -> chunk name -> the images one attribution job explains (attribution.images_per_job).
ATTRIBUTION_CHUNKS = {
    regime: image_chunks(images, config["attribution"]["images_per_job"])
    for regime, images in EXPLAINED_IMAGES.items()
}
#: Regime -> image -> the chunk (attribution job and table) it is explained in.
CHUNK_OF = {
    regime: {image: name for name, members in chunks.items() for image in members}
    for regime, chunks in ATTRIBUTION_CHUNKS.items()
}
#: Explained test images the sanity checks randomize on (a MOS-spread sample of Exp. 2's).
SANITY_IMAGES = explanation_sample(
    _META, EXPLAINED_TEST_IMAGES.get("test", []), config["sanity"]["n_images"]
)

#: Explained test images the faithfulness curves run on (a MOS-spread sample of Exp. 2's).
FAITHFULNESS_IMAGES = explanation_sample(
    _META, EXPLAINED_TEST_IMAGES.get("test", []), config["faithfulness"]["n_images"]
)


def _seed_subset(chosen, among, key, among_what):
    """``chosen`` ("all" or a list of seeds) as a sorted list within ``among``."""
    if chosen == "all":
        return among
    unknown = sorted(set(chosen) - set(among))
    if unknown:
        sys.exit(f"authxai config error: {key}: {unknown} not among {among_what}")
    return sorted(set(chosen))


def method_seeds(method):
    """Variants (seeds) a method explains: all, or the configured subset (e.g. MPM on one)."""
    return _seed_subset(
        config["attribution"][method]["seeds"],
        SEEDS,
        f"attribution.{method}.seeds",
        f"the trained seeds 0..{len(SEEDS) - 1} (training.seeds)",
    )


def prototype_seeds(method):
    """Variants averaged into an architecture's prototype (consistency.prototype_seeds)."""
    return _seed_subset(
        config["consistency"]["prototype_seeds"][method],
        method_seeds(method),
        f"consistency.prototype_seeds.{method}",
        f"the variants {method} explains {method_seeds(method)} (attribution.{method}.seeds)",
    )


wildcard_constraints:
    arch="|".join(ARCHS),
    seed=r"\d+",
    regime="|".join(REGIMES),
    method="|".join(METHODS),
    image="|".join(
        re.escape(i)
        for i in sorted({i for ids in EXPLAINED_IMAGES.values() for i in ids})
    ),
    chunk="|".join(
        re.escape(name)
        for name in sorted(
            {n for chunks in ATTRIBUTION_CHUNKS.values() for n in chunks}
        )
    ),
    experiment="|".join(EXPERIMENTS),


def faithfulness_seeds(method):
    """Variants whose own maps the faithfulness curves score (faithfulness.seeds)."""
    return _seed_subset(
        config["faithfulness"]["seeds"],
        method_seeds(method),
        "faithfulness.seeds",
        f"the variants {method} explains {method_seeds(method)} (attribution.{method}.seeds)",
    )


#: Every variant a faithfulness job loads (the union over methods).
FAITHFULNESS_VARIANTS = sorted({s for m in METHODS for s in faithfulness_seeds(m)})
