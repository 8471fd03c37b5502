"""The plan of a run: everything the workflow decides from the config before any job runs.

:func:`build_plan` validates the config, reads the dataset's metadata (no pixels) and answers
what the rule files ask while Snakemake parses them — the study's axes, the images each regime
explains and how they are chunked into jobs, the seed subsets, which stages and tables apply
(from the dataset kind's and the methods' capabilities), the figures and every final target.
It does not import Snakemake, so all of it is tested as plain Python (tests/test_plan.py);
the input functions the rules call are :class:`~authxai.plan.inputs.JobInputs`' methods.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from itertools import product
from pathlib import Path
from typing import Any

import pandas as pd

from authxai.attribution.methods import METHODS as METHOD_REGISTRY
from authxai.data.adapters import metadata_for_dag
from authxai.data.checks import check_study
from authxai.data.kinds import get_kind
from authxai.errors import InputError
from authxai.plan import paths
from authxai.plan.inputs import JobInputs
from authxai.splits import REGIMES as REGIME_SPLITS
from authxai.splits import explanation_ids, explanation_sample, training_pool_ids
from authxai.workflow import REPORT_DIR, check_outputs, image_chunks, registered_name

#: The psychometrics results (each a parquet file; Figures 2 and A.1 read some of them).
PSYCHOMETRICS = ("reliability", "mos_summary", "kept_vs_removed", "kept_vs_removed_participants", "mean_sd")
EXPERIMENT1_TABLES = ("table2_performance", "table3_beyond_quality")
#: The report's captions: captions/<figure or table>.rst (listed once: every output looks its own up).
CAPTIONS = REPORT_DIR / "captions"


@contextmanager
def _stage(what: str) -> Iterator[None]:
    """Say which part of the plan a one-line :class:`InputError` comes from (``config error:``
    for a bad config value, ``input error:`` for data that cannot carry the study)."""
    try:
        yield
    except InputError as exc:
        raise InputError(f"{what} error: {exc}") from None


def with_kind_defaults(config: dict) -> dict:
    """``config`` with what its dataset kind fixes: a rendered study's root and exclusion list."""
    dataset = config["dataset"]
    kind = get_kind(dataset["kind"])
    if kind.root:
        dataset["root"] = kind.root
    if kind.combos_file and not dataset["exclusion"].get("combos_file"):
        dataset["exclusion"]["combos_file"] = kind.combos_file
    return config


def build_plan(
    config: Mapping[str, Any], base: str | Path = ".", metadata: tuple[pd.DataFrame, pd.DataFrame] | None = None
) -> Plan:
    """The plan of a run of ``config`` in the working directory ``base``.

    ``metadata`` (the image table and long ratings) is read from the dataset when not given.
    Anything a user can fix raises a one-line :class:`InputError` starting ``config error:``
    or ``input error:``.
    """
    with _stage("config"):
        # authxai.config imports the backbone registry, hence torch: only building a plan needs it
        from authxai.config import validate_config

        config = with_kind_defaults(validate_config(copy.deepcopy(dict(config))))
    with _stage("input"):
        images, ratings = metadata or metadata_for_dag(config["dataset"], config["synthetic"], base)
        check_study(images, ratings, config)
    plan = Plan(config, images, Path(base))
    with _stage("input"):
        check_outputs(plan.all_outputs(), "authxai")
    return plan


def seed_subset(chosen: str | list[int], among: list[int], key: str, among_what: str) -> list[int]:
    """``chosen`` ("all" or a list of seeds) as a sorted list within ``among``."""
    if chosen == "all":
        return among
    unknown = sorted(set(chosen) - set(among))
    if unknown:
        raise InputError(f"{key}: {unknown} not among {among_what}")
    return sorted(set(chosen))


class Plan(JobInputs):
    """What a run of one config computes: axes, explained images, stages, tables, figures.

    Built by :func:`build_plan`; its attributes are plain lists and dicts, its methods the
    bodies of the workflow's input functions (:class:`~authxai.plan.inputs.JobInputs`).
    """

    def __init__(self, config: dict, images: pd.DataFrame, base: Path = Path(".")) -> None:
        self.config, self.base, self.kind = config, base, get_kind(config["dataset"]["kind"])
        self._axes()
        with _stage("input"):
            self._explained(images)
        with _stage("config"):
            self._seeds()
        self._stages()
        self.tables = self._tables()
        #: Figure file name -> its named inputs (the figure registry: authxai.figures.FIGURES).
        self.figures = self._figures()
        with _stage("input"):
            self._check_captions()

    # ------------------------------------------------------------------ axes and images
    def _axes(self) -> None:
        from authxai.models.backbones import get_spec  # torch, as above

        config = self.config
        self.archs: list[str] = list(config["models"]["archs"])
        #: Control architectures (registry property): the null, never among the trained backbones.
        self.control_archs = [a for a in self.archs if get_spec(a).control]
        self.trained_archs = [a for a in self.archs if a not in self.control_archs]
        #: Architecture -> what Table A.3 prints of its registry entry (its job imports no torch).
        self.head_specs = {
            arch: {
                "embed_dim": get_spec(arch).embed_dim,
                "head_hidden": list(get_spec(arch).head_hidden),
                "target_layer": get_spec(arch).target_layer,
                "control": get_spec(arch).control,
            }
            for arch in self.archs
        }
        self.seeds = list(range(config["training"]["seeds"]))
        self.regimes: list[str] = list(config["attribution"]["regimes"])
        self.methods: list[str] = list(config["attribution"]["methods"])
        #: Regime -> the experiment whose heads it prunes and explains (test: Exp. 2, val: Exp. 3).
        self.regime_experiment = {regime: REGIME_SPLITS[regime][0] for regime in self.regimes}
        self.experiments = sorted({"exp12", *self.regime_experiment.values()})

    def _explained(self, images: pd.DataFrame) -> None:
        """The explained images: a pure function of the metadata and seeds, so the DAG lists
        every attribution job before anything runs."""
        config, n_bins = self.config, self.config["splits"]["n_bins"]
        #: Regime -> the test-set images its variants are explained on (a MOS-spread sample of the
        #: experiment's fixed test set: Exp. 2's explanation set, Exp. 3's global test set).
        self.explained_test_images = {
            regime: explanation_sample(
                images,
                explanation_ids(images, experiment, config["seed"], n_bins),
                config["attribution"]["n_images" if regime == "test" else "n_ensemble_images"],
            )
            for regime, experiment in self.regime_experiment.items()
        }
        #: Training-pool images of Experiment 2 that also get attributions (Table 6 on training images).
        self.explained_training_images = explanation_sample(
            images, training_pool_ids(images, "exp12", config["seed"], n_bins), config["attribution"]["n_train_images"]
        )
        #: Regime -> every image its variants are explained on (test: also the training-pool sample).
        self.explained_images = {
            regime: ids + (self.explained_training_images if regime == "test" else [])
            for regime, ids in self.explained_test_images.items()
        }
        #: Regime -> chunk name -> the images one attribution job explains (attribution.images_per_job).
        self.attribution_chunks = {
            regime: image_chunks(ids, config["attribution"]["images_per_job"])
            for regime, ids in self.explained_images.items()
        }
        #: Regime -> image -> the chunk (attribution job and table) it is explained in.
        self.chunk_of = {
            regime: {image: name for name, members in chunks.items() for image in members}
            for regime, chunks in self.attribution_chunks.items()
        }
        test = self.explained_test_images.get("test", [])
        #: Explained test images the sanity checks and the faithfulness curves run on (MOS-spread samples).
        self.sanity_images = explanation_sample(images, test, config["sanity"]["n_images"])
        self.faithfulness_images = explanation_sample(images, test, config["faithfulness"]["n_images"])
        self.images = images

    # ------------------------------------------------------------------ seeds
    def _seeds(self) -> None:
        last = len(self.seeds) - 1
        #: Method -> the variants (seeds) it explains: all, or the configured subset (e.g. MPM on one).
        self._method_seeds = {
            m: seed_subset(
                self.config["attribution"][m]["seeds"],
                self.seeds,
                f"attribution.{m}.seeds",
                f"the trained seeds 0..{last} (training.seeds)",
            )
            for m in self.methods
        }
        #: Method -> variants whose own maps the faithfulness curves score (faithfulness.seeds).
        self._faithfulness_seeds = {
            m: seed_subset(self.config["faithfulness"]["seeds"], seeds, "faithfulness.seeds", self._explains(m))
            for m, seeds in self._method_seeds.items()
        }
        #: Every variant a faithfulness job loads (the union over methods).
        self.faithfulness_variants = sorted({s for seeds in self._faithfulness_seeds.values() for s in seeds})

    def _explains(self, method: str) -> str:
        seeds = self._method_seeds[method]
        return f"the variants {method} explains {seeds} (attribution.{method}.seeds)"

    def method_seeds(self, method: str) -> list[int]:
        """Variants (seeds) a method explains: all, or the configured subset."""
        return self._method_seeds[method]

    def faithfulness_seeds(self, method: str) -> list[int]:
        """Variants whose own maps the faithfulness curves score (faithfulness.seeds)."""
        return self._faithfulness_seeds[method]

    def prototype_seeds(self, method: str) -> list[int]:
        """Variants averaged into an architecture's prototype (consistency.prototype_seeds)."""
        key = f"consistency.prototype_seeds.{method}"
        chosen = self.config["consistency"]["prototype_seeds"][method]
        return seed_subset(chosen, self.method_seeds(method), key, self._explains(method))

    # ------------------------------------------------------------------ stages and tables
    def _stages(self) -> None:
        test = "test" in self.regimes
        #: Within-architecture consistency needs >= 2 explained variants; it is Experiment 2's (test).
        self.within_methods = [m for m in self.methods if len(self.method_seeds(m)) >= 2] if test else []
        self.across_methods = self.methods if test and len(self.archs) >= 2 else []
        with _stage("config"):
            #: Methods whose prototypes average a subset of their variants: their all-variant
            #: prototypes are the labelled extra across_<method>_allvariants.
            self.allvariant_methods = [
                m for m in self.across_methods if self.prototype_seeds(m) != self.method_seeds(m)
            ]
        #: Ensembles combine the Experiment 3 (val) variants of the trained backbones (the control's
        #: are Table 7's labelled extra); their maps need every seed's map.
        self.ensemble = "val" in self.regimes and bool(self.trained_archs)
        self.ensemble_methods = [
            m
            for m in self.methods
            if self.ensemble and METHOD_REGISTRY[m].ensemble is not None and self.method_seeds(m) == self.seeds
        ]
        #: Images with masks of planted cues: every map is scored against them.
        self.localization = self.kind.cue_masks
        #: Sanity checks, faithfulness and the scorecard explain Experiment 2's variants (test).
        self.scorecard = test
        #: A study the workflow renders can render its images without each planted cue and ask how
        #: much the Experiment 2 variants rely on it (Table 10, the scorecard's rank r).
        self.counterfactual = self.kind.counterfactuals and self.scorecard
        #: Within-consistency table of each method that gets one.
        self.within_tables = {m: METHOD_REGISTRY[m].within_table_name for m in self.within_methods}

    def _tables(self) -> list[str]:
        ensemble = set(self.ensemble_methods)
        method_tables = {  # the tables each method declares about itself (Method.tables, compared_in)
            table: method in (ensemble if maps == "ensemble" else self.methods)
            for method in self.methods
            for table, maps in METHOD_REGISTRY[method].tables.items()
        }
        comparisons = {
            table: {method, other} <= ensemble
            for method in self.methods
            for other, table in METHOD_REGISTRY[method].compared_in.items()
        }
        optional = {
            "tableA3_head_parameters": True,
            **dict.fromkeys(self.within_tables.values(), True),
            "table6_consistency_relations": bool(self.within_methods),
            "tableA4_consistency_vs_mae": bool(self.within_methods),
            "tableA4b_consistency_vs_behaviour_mantel": bool(self.within_methods),
            "tableA_across_prototypes": bool(self.across_methods),
            "table7_ensembles": self.ensemble,
            **method_tables,
            **comparisons,
            "table8_localization": self.localization,
            "table9_scorecard": self.scorecard,
            "table10_counterfactual": self.counterfactual,
        }
        return [*EXPERIMENT1_TABLES, "tableA_pruning", *(table for table, wanted in optional.items() if wanted)]

    def _figures(self) -> dict[str, dict[str, Any]]:
        # the figure modules import matplotlib: only the plan needs their input declarations
        from authxai.figures import FIGURES

        return {name: inputs for figure in FIGURES.values() for name, inputs in figure.inputs(self).items()}

    # ------------------------------------------------------------------ captions and targets
    def _check_captions(self) -> None:
        stems = sorted(p.stem for p in CAPTIONS.glob("*.rst"))
        for name in [*self.tables, *self.figures, "psychometrics", "scorecard"]:
            if registered_name(name, stems) is None:
                raise InputError(f"no report caption for {name}: add src/authxai/report/captions/{name}.rst")
        self._caption_stems = stems

    def caption_file(self, name: str) -> Path:
        """Report caption of a figure or table: captions/<name>.rst, or the caption it is filed
        under (the longest registered prefix: fig_examples_<arch> -> fig_examples)."""
        return CAPTIONS / f"{registered_name(name, self._caption_stems)}.rst"

    def wildcard_constraints(self) -> dict[str, str]:
        """The wildcards' patterns: exactly the values this run has (Snakemake's
        ``wildcard_constraints``), so no rule's output pattern swallows another's."""

        def one_of(values: Any) -> str:
            return "|".join(re.escape(v) for v in sorted(set(values)))

        return {
            "arch": "|".join(self.archs),
            "seed": r"\d+",
            "regime": "|".join(self.regimes),
            "method": "|".join(self.methods),
            "image": one_of(i for ids in self.explained_images.values() for i in ids),
            "chunk": one_of(n for chunks in self.attribution_chunks.values() for n in chunks),
            "experiment": "|".join(self.experiments),
            "figure": "|".join(self.figures),
        }

    def all_outputs(self) -> list[str]:
        """Every final product of the pipeline for the configured dataset (all under results/)."""
        return [
            paths.IMAGE_TABLE,
            *(paths.psychometrics_file(name) for name in PSYCHOMETRICS),
            *(paths.table_file("psychometrics", ext) for ext in ("csv", "md")),
            *(paths.table_file(table, ext) for table, ext in product(self.tables, ("csv", "md"))),
            *(path for method in self.methods for path in self.explained_maps(method)),
            *(paths.figure_file(figure, ext) for figure, ext in product(self.figures, ("pdf", "png"))),
            *(path for method in self.ensemble_methods for path in self.ensemble_maps(method)),
            paths.EXPLORER["index"],
        ]
