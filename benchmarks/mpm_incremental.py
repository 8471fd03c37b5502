"""Benchmark MPM with incremental occlusion against full masked passes, in one run.

MPM of every variant of an architecture on one image (shared trunk in both): each masked image
through the whole trunk (``attribution.mpm.incremental: false``, the way before) vs the leading
local stages recomputed only where the patch reaches (:mod:`authxai.attribution.occlusion`).
Prints seconds per image, the ratio, and the largest difference of the drops.

    .venv/bin/python benchmarks/mpm_incremental.py                       # the embedded default
    .venv/bin/python benchmarks/mpm_incremental.py --archs vgg16 resnet152 --size 224 \\
        --patches 3 17 65 --stride 1                                     # the paper's MPM (GPU)
"""

from __future__ import annotations

import argparse

import torch
from _common import timed, variants_of

from authxai.attribution.mpm import centre_grid, mpm_drops
from authxai.models.backbones import pick_device
from authxai.precision import machine_line


def main() -> None:
    print(machine_line(), flush=True)  # every timing names the CPU it was taken on
    ap = argparse.ArgumentParser()
    ap.add_argument("--archs", nargs="+", default=["efficientnet_lite0", "efficientnet_lite1"])
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--patches", type=int, nargs="+", default=[3, 9, 37])
    ap.add_argument("--stride", type=int, default=8)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (an attribution job's)")
    ap.add_argument("--skip-full", action="store_true", help="time only the incremental way")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    device = pick_device()
    n_masked = len(centre_grid(args.size, args.stride)) ** 2 * len(args.patches)
    sizes = tuple(args.patches)
    for arch in args.archs:
        torch.manual_seed(0)
        variants = variants_of(arch, args.seeds, device, args.size)
        image = torch.randn(3, args.size, args.size, device=device)

        def incremental(image=image, variants=variants):
            occluded = variants.occluded(image)
            return mpm_drops(variants, image, sizes, args.stride, args.batch_size, occluded=occluded)

        incremental()  # warm-up (oneDNN kernels for the crop shapes)
        fast, t_fast = timed(incremental)
        line = (
            f"MPM {arch}, {args.seeds} variants, {n_masked} masked images ({args.size} px, stride {args.stride}, "
            f"patches {list(sizes)}, {device}): incremental {t_fast:.1f} s/image"
        )
        if not args.skip_full:
            full, t_full = timed(
                lambda image=image, variants=variants: mpm_drops(variants, image, sizes, args.stride, args.batch_size)
            )
            err = float((fast - full).abs().max() / full.abs().max())
            line += f", full passes {t_full:.1f} s/image -> {t_full / t_fast:.2f}x (max |diff| {err:.1e} of max |drop|)"
        print(line, flush=True)


if __name__ == "__main__":
    main()
