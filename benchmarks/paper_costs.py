"""What the paper configuration costs, stage by stage, on this machine's device.

Measures the trunk throughput of each of the six paper backbones at 224 px (all seeds share one
trunk pass, so a forward of a batch *is* the unit of every attribution stage), in float32 and
— on CUDA — in bf16 (``attribution.precision``), against the naive way (one full model per
variant, in the default memory layout: 10 trunk passes for what one shared channels-last pass
does). Then multiplies, per stage, the
forward passes one job makes under the paper config by the measured time per pass and by the
number of jobs that stage has in the paper config's dry run (``--jobs`` from
``snakemake -n --configfile config/aigciqa2023.yaml``; the defaults are that dry run's counts).

    .venv/bin/python benchmarks/paper_costs.py [--batch 32] [--reps 3] [--archs vgg16 resnet152]

Random-init weights: throughput does not depend on the weights' values.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import yaml

from authxai.attribution.mpm import centre_grid
from authxai.attribution.variants import SharedTrunkVariants
from authxai.models.backbones import get_spec, on_device, pick_device, split_backbone
from authxai.models.heads import RegressionHead
from authxai.precision import machine_line

PAPER_ARCHS = ["vgg16", "vgg19", "resnet152", "densenet161", "efficientnet_b3", "barlowtwins_resnet50"]
#: Jobs per architecture in the paper config's dry run (10 seeds, 1,368 kept images: 138
#: explanation + 20 training-pool images in regime test, 273 global test images in regime val).
DRY_RUN_JOBS_PER_ARCH = {"mpm": 138 + 20 + 273, "lime": 138 + 20 + 273, "gradcam": 138 + 20 + 273}
#: Process start, imports, building the backbone and reading its weights, per job (measured
#: on 2 CPU cores: ~3 s imports + up to ~2 s building and loading VGG-19).
JOB_OVERHEAD_S = 5.0


def passes_per_job(cfg: dict, n_variants: int) -> dict[str, float]:
    """Trunk forward passes (224 px images) one job of each attribution stage makes."""
    attribution = cfg["attribution"]
    crop = cfg["models"]["crop"]
    mpm = attribution["mpm"]
    centres = len(centre_grid(crop, mpm["stride"])) ** 2
    lime = attribution["lime"]
    lime_draws = 1 if lime.get("shared_samples", False) else n_variants
    return {
        "mpm": centres * len(mpm["patch_sizes"]) + 1,
        # + the ensemble draw in regime val (about 273 of every 431 jobs)
        "lime": lime["num_samples"] * (lime_draws + 273 / 431),
        "gradcam": 3.0 * n_variants,  # one forward + backward (~2 forwards) per variant
    }


@torch.no_grad()
def seconds_per_pass(arch: str, device: torch.device, batch: int, reps: int, precision: str, n_heads: int) -> float:
    """Seconds per image of one shared-trunk forward of ``n_heads`` variants."""
    torch.manual_seed(0)
    model = get_spec(arch).build().eval()
    # the pipeline's layout (channels-last); the naive way: the default layout, one model per variant
    model = on_device(model, device) if n_heads > 1 else model.to(device)
    trunk, tail = split_backbone(model, arch)
    heads = [RegressionHead(get_spec(arch).embed_dim, get_spec(arch).head_hidden).eval().to(device)] * n_heads
    variants = SharedTrunkVariants(trunk, tail, heads, precision=precision).eval()
    x = torch.randn(batch, 3, 224, 224, device=device)
    variants(x)  # warm-up (cudnn autotune, lazy init)
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(reps):
        variants(x)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / (reps * batch)


def main() -> None:
    print(machine_line(), flush=True)  # every timing names the CPU it was taken on
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="config/aigciqa2023.yaml")
    parser.add_argument("--archs", nargs="+", default=PAPER_ARCHS)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--reps", type=int, default=2)
    args = parser.parse_args()
    cfg = yaml.safe_load(open(args.config))
    n_variants = cfg["training"]["seeds"]
    device = pick_device("auto")
    precisions = ["fp32", "bf16"] if device.type == "cuda" else ["fp32"]
    what = torch.cuda.get_device_name() if device.type == "cuda" else f"{torch.get_num_threads()} threads"
    print(f"device: {device} ({what})")
    passes = passes_per_job(cfg, n_variants)
    print("trunk passes per job (paper config): " + ", ".join(f"{k} {v:,.0f}" for k, v in passes.items()))
    totals = {p: {stage: 0.0 for stage in passes} for p in precisions}
    for arch in args.archs:
        shared = {p: seconds_per_pass(arch, device, args.batch, args.reps, p, n_variants) for p in precisions}
        naive = seconds_per_pass(arch, device, args.batch, 1, "fp32", 1) * n_variants
        line = ", ".join(f"{p} {1 / s:,.1f} images/s" for p, s in shared.items())
        print(
            f"{arch:>22}: shared trunk {line}; naive (one model per variant) {1 / naive:,.1f} variant-images/s "
            f"-> shared/naive {naive / shared['fp32']:.1f}x"
        )
        for p, s in shared.items():
            for stage, n in passes.items():
                totals[p][stage] += DRY_RUN_JOBS_PER_ARCH[stage] * (n * s + JOB_OVERHEAD_S)
    for p in precisions:
        hours = {stage: t / 3600 for stage, t in totals[p].items()}
        print(
            f"{p}: device-hours for {len(args.archs)} archs: "
            + ", ".join(f"{k} {v:,.1f} h" for k, v in hours.items())
            + f" (total {np.sum(list(hours.values())):,.1f} h)"
        )


if __name__ == "__main__":
    main()
