"""What a run of a config will cost, per stage, before anything runs (`authxai estimate`).

The plan (:func:`authxai.plan.build_plan`) lists every job and the images each explains; this
module counts, per stage, the jobs (as ``snakemake -n`` plans them: tests/test_cli.py checks the
counts against ``tests/dry_run_jobs.json``) and the trunk passes — images through one shared
trunk pass of an architecture, the unit of every model stage since all variants share it — and
multiplies them by the CPU (and GPU) seconds per image that ``benchmarks/throughputs.py``
measured (``throughputs.json`` beside this module), scaled from its input size to
``models.crop`` by pixel count, plus each job's measured start-up. How each method batches:

* MPM: every masked image of every patch size on the centre grid (``centres² × sizes``) plus the
  intact image, one pass each, shared by the variants (a full pass each: the incremental
  occlusion makes local stages cheaper, so this is an upper bound for the families that use it).
* LIME: ``num_samples`` perturbed images per draw; one draw for all variants when
  ``shared_samples``, else one per variant, plus the ensemble's draw in regime ``val``.
* Grad-CAM: one trunk pass per image (the gradients run through the tails only).
* Sanity checks: every method on 1 + len(cascade) networks of one variant per image.
* Faithfulness: 1 + 3 × (steps + 1) passes per image and scored variant, per method.
* Features: one pass per kept image. Heads, pruning, consistency, tables and figures read the
  feature cache and the maps: they are counted as jobs, with start-up time only.

It is an estimate: throughputs are one machine's, scaled by area, in fp32.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

#: Faithfulness curves per map (authxai.faithfulness.CURVES: deletion MoRF/LeRF, insertion MoRF).
N_CURVES = 3
#: The regime whose LIME jobs also draw the ensemble's perturbations (authxai.splits).
ENSEMBLE_REGIME = "val"


@dataclass(frozen=True)
class Throughputs:
    """Measured cost of one image through a shared trunk, per architecture (``throughputs.json``)."""

    size: int
    cpu: Mapping[str, float]
    gpu: Mapping[str, float]
    gpu_device: str | None
    startup_s: float
    source: str

    def seconds(self, arch: str, crop: int, device: str) -> float | None:
        """Seconds per image of ``arch`` at ``crop`` px on ``device`` (None: not measured)."""
        table = self.cpu if device == "cpu" else self.gpu
        return None if arch not in table else table[arch] * (crop / self.size) ** 2


def load_throughputs(text: str | None = None) -> Throughputs:
    """The package's ``throughputs.json`` (or ``text``, its JSON)."""
    if text is None:
        text = resources.files("authxai.cli").joinpath("throughputs.json").read_text()
    data = json.loads(text)
    gpu = data.get("gpu") or {}
    source = (
        f"{data['generated_by']} on {data['date']} (commit {data['commit']}; torch CPU capability "
        f"{data['cpu_capability']}; {data['cpu']['threads']} thread, fp32, {data['size']} px scaled by area"
        + (f"; GPU {gpu['device']}" if gpu else "; no GPU measured")
        + f"); regenerate: {data['regenerate']}"
    )
    return Throughputs(
        size=int(data["size"]),
        cpu=data["cpu"]["seconds_per_image"],
        gpu=gpu.get("seconds_per_image", {}),
        gpu_device=gpu.get("device"),
        startup_s=float(data["job_startup_cpu_s"]),
        source=source,
    )


# ---------------------------------------------------------------------- trunk passes per image
def n_centres(size: int, stride: int) -> int:
    """Length of :func:`authxai.attribution.mpm.centre_grid` (every ``stride`` px and the last pixel)."""
    return len(range(0, size, stride)) + (0 if (size - 1) % stride == 0 else 1)


def mpm_passes(cfg: Mapping[str, Any], crop: int, n_variants: int, regime: str) -> int:
    """Trunk passes of MPM on one image (the masked images and the intact one, all variants at once)."""
    return n_centres(crop, cfg["stride"]) ** 2 * len(cfg["patch_sizes"]) + 1


def lime_passes(cfg: Mapping[str, Any], crop: int, n_variants: int, regime: str) -> int:
    """Trunk passes of LIME on one image: ``num_samples`` per distinct perturbation draw."""
    if cfg.get("shared_samples", False):
        return cfg["num_samples"]  # the ensemble's draw is the shared one
    return cfg["num_samples"] * (n_variants + (regime == ENSEMBLE_REGIME))


def gradcam_passes(cfg: Mapping[str, Any], crop: int, n_variants: int, regime: str) -> int:
    """Trunk passes of Grad-CAM on one image: one (the variants' gradients run through their tails)."""
    return 1


#: Method -> trunk passes per explained image (a method not listed here is not estimated).
PASSES_PER_IMAGE: dict[str, Callable[[Mapping[str, Any], int, int, str], int]] = {
    "mpm": mpm_passes,
    "lime": lime_passes,
    "gradcam": gradcam_passes,
}


# ---------------------------------------------------------------------- stages
@dataclass(frozen=True)
class Stage:
    """One stage of a run: its jobs and, per architecture, its trunk passes (None: not estimated)."""

    name: str
    jobs: int
    passes: Mapping[str, int] | None

    @property
    def total_passes(self) -> int | None:
        return None if self.passes is None else sum(self.passes.values())


def per_image_passes(plan: Any, method: str, regime: str, n_variants: int) -> int | None:
    """Trunk passes of ``method`` on one image of ``regime`` for ``n_variants`` (None: not modelled)."""
    per_image = PASSES_PER_IMAGE.get(method)
    if per_image is None:
        return None
    return per_image(plan.config["attribution"][method], plan.config["models"]["crop"], n_variants, regime)


def _method_passes(plan: Any, method: str) -> int | None:
    """Trunk passes of ``method`` over every explained image of every regime, per architecture."""
    n = [per_image_passes(plan, method, r, len(plan.method_seeds(method))) for r in plan.regimes]
    if None in n:
        return None
    return sum(len(plan.explained_images[r]) * k for r, k in zip(plan.regimes, n) if k is not None)


def _per_arch(plan: Any, n: int | None) -> dict[str, int] | None:
    return None if n is None else dict.fromkeys(plan.archs, n)


def model_stages(plan: Any) -> list[Stage]:
    """The stages that run backbones, with their jobs and trunk passes per architecture."""
    archs, config = plan.archs, plan.config
    kept = int(plan.images["kept"].sum())
    stages = [Stage("extract_features", len(archs), dict.fromkeys(archs, kept))]
    for method in plan.methods:
        chunks = sum(len(plan.attribution_chunks[r]) for r in plan.regimes)
        stages.append(Stage(method, len(archs) * chunks, _per_arch(plan, _method_passes(plan, method))))
    if plan.scorecard:
        networks = 1 + len(config["sanity"]["cascade"])
        # one variant per network, so LIME draws once
        per_image = [per_image_passes(plan, m, "test", 1) for m in plan.methods]
        sanity = None if None in per_image else len(plan.sanity_images) * networks * sum(filter(None, per_image))
        stages.append(Stage("sanity", len(archs), _per_arch(plan, sanity)))
        curve = 1 + N_CURVES * (config["faithfulness"]["steps"] + 1)
        maps = sum(len(plan.faithfulness_seeds(m)) for m in plan.methods)
        stages.append(
            Stage("faithfulness", len(archs), dict.fromkeys(archs, len(plan.faithfulness_images) * maps * curve))
        )
    if plan.counterfactual:
        # each image without each planted cue and without all: at most max_artifacts + 2 renderings
        renders = len(plan.explained_images["test"]) * (config["synthetic"]["max_artifacts"] + 2)
        stages.append(Stage("counterfactual", len(archs), dict.fromkeys(archs, renders)))
    return stages


def other_jobs(plan: Any) -> dict[str, int]:
    """Rule -> jobs of the rules that run no backbone (as ``snakemake -n`` counts them)."""
    n_archs, tables = len(plan.archs), set(plan.tables)
    within = bool(plan.within_methods)
    counts = {
        "synthesize_study": int(plan.kind.rendered),
        "prepare_metadata": 1,
        "prepare_data": 1,
        "psychometrics": 1,
        "make_splits": 1,
        "train_head": len(plan.experiments) * n_archs,
        "evaluate": n_archs,
        "table_experiment1": 1,
        "prune": len(plan.regimes) * n_archs,
        "predict_variants": len(plan.regimes) * n_archs,
        "consistency_within": len(plan.within_methods),
        "consistency_across": len(plan.across_methods),
        "consistency_across_allvariants": len(plan.allvariant_methods),
        "consistency_relations": int(within),
        "table_consistency": int(within),
        "table_consistency_vs_behaviour": int(within),
        "table_across_prototypes": int(bool(plan.across_methods)),
        "ensemble": int(plan.ensemble),
        "ensemble_attributions": sum(len(plan.ensemble_maps(m)) for m in plan.ensemble_methods),
        "table_ensemble_lime_vs_mpm": int("table7b_ensemble_lime_vs_mpm" in tables),
        "table_ensemble_lime_fidelity": int("table7c_ensemble_lime_fidelity" in tables),
        "localization": len(plan.methods) if plan.localization else 0,
        "table_localization": int(plan.localization),
        "counterfactual_agreement": len(plan.methods) if plan.counterfactual else 0,
        "table_counterfactual": int(plan.counterfactual),
        "scorecard": int(plan.scorecard),
        "table_pruning": 1,
        "table_lime_fidelity": int("tableA2_lime_fidelity" in tables),
        "table_head_parameters": 1,
        "figure": len(plan.figures),
        "explorer": 1,
        "all": 1,
    }
    return {rule: n for rule, n in counts.items() if n}


# ---------------------------------------------------------------------- hours and the table
@dataclass(frozen=True)
class StageCost:
    """A stage's jobs, trunk passes and estimated hours (None: not estimated)."""

    name: str
    jobs: int
    passes: int | None
    cpu_hours: float | None
    gpu_hours: float | None


def _hours(stage: Stage, plan: Any, tp: Throughputs, device: str) -> float | None:
    if stage.passes is None:
        return None
    crop = plan.config["models"]["crop"]
    seconds = 0.0
    for arch, n in stage.passes.items():
        per_image = tp.seconds(arch, crop, device)
        if per_image is None:
            return None
        seconds += n * per_image
    # GPU jobs start up on their CPU all the same
    return (seconds + stage.jobs * tp.startup_s) / 3600


def estimate(plan: Any, tp: Throughputs) -> list[StageCost]:
    """Per stage of ``plan``: jobs, trunk passes, CPU hours and GPU hours (one thread / one GPU)."""
    costs = [
        StageCost(s.name, s.jobs, s.total_passes, _hours(s, plan, tp, "cpu"), _hours(s, plan, tp, "gpu"))
        for s in model_stages(plan)
    ]
    rest = sum(other_jobs(plan).values())
    # no backbone: their start-up on a CPU, no GPU time
    costs.append(StageCost("other (feature cache, maps, tables)", rest, 0, rest * tp.startup_s / 3600, 0.0))
    return costs


def _fmt_hours(hours: float | None) -> str:
    if hours is None:
        return "n/a"
    return f"{hours:,.1f}" if hours >= 0.1 else f"{hours:,.2f}"


def format_estimate(costs: list[StageCost], tp: Throughputs, title: str) -> str:
    """The estimate as a text table ending in a ``total`` line, with its source and caveats."""
    head = ("stage", "jobs", "trunk passes", "CPU hours", "GPU hours")
    rows = [
        (
            c.name,
            f"{c.jobs:,}",
            "n/a" if c.passes is None else f"{c.passes:,}",
            _fmt_hours(c.cpu_hours),
            _fmt_hours(c.gpu_hours),
        )
        for c in costs
    ]

    def total(values: list[float | None]) -> str:
        return "n/a" if None in values else _fmt_hours(sum(v for v in values if v is not None))

    passes = [c.passes for c in costs]
    rows.append(
        (
            "total",
            f"{sum(c.jobs for c in costs):,}",
            "n/a" if None in passes else f"{sum(p for p in passes if p is not None):,}",
            total([c.cpu_hours for c in costs]),
            total([c.gpu_hours for c in costs]),
        )
    )
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = [f"ESTIMATE for {title} (nothing has run; one CPU thread or one GPU per job, fp32)"]
    for row in [head, *rows]:
        lines.append("  ".join([row[0].ljust(widths[0]), *(v.rjust(w) for v, w in zip(row[1:], widths[1:]))]))
    lines.append(f"throughputs: {tp.source}")
    if any(c.gpu_hours is None for c in costs):
        lines.append("GPU hours n/a: no GPU throughput measured for these backbones (run the benchmark on a GPU node)")
    lines.append(
        "hours = trunk passes x measured seconds per image + each job's start-up; training, pruning and tables "
        "are counted by their start-up only; MPM counts full passes (its incremental occlusion is faster)"
    )
    return "\n".join(lines)
