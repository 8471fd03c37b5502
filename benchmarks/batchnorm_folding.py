"""Benchmark BatchNorm folding (``authxai.models.backbones.fold_batchnorm``) against the network
as built, in one run: a batch through trunk + tail, and the MPM of one image for the 10
variants of an architecture (the attribution jobs' inner loop, with incremental occlusion).
Prints the speed-up and how far the outputs moved (max |difference| over max |output|).

The networks are ``benchmarks/_common.py``'s (installed Lite weights; other
backbones random-init with BatchNorm statistics from random images: speed does not depend on
the values).

    .venv/bin/python benchmarks/batchnorm_folding.py [--archs efficientnet_lite0 resnet152]
        [--size 128] [--batch 64] [--threads 1]
"""

from __future__ import annotations

import argparse

import torch
from _common import best_seconds, variants_of

from authxai.attribution.mpm import mpm_drops
from authxai.attribution.variants import SharedTrunkVariants
from authxai.models.backbones import fold_batchnorm, pick_device, split_backbone
from authxai.precision import machine_line


def measure(arch: str, x: torch.Tensor, device: torch.device) -> tuple[list[float], list[float], float]:
    """Forward and MPM seconds of the built and the folded net, and the outputs' distance."""
    built = variants_of(arch, 10, device, x.shape[-1])
    folded = SharedTrunkVariants(*split_backbone(fold_batchnorm(built.trunk.model, arch), arch), list(built.heads))
    both = [built, folded.eval()]
    x = x.to(device)
    image = x[0]
    with torch.no_grad():
        ref, got = (v(x) for v in both)
        forward = [best_seconds(lambda v=v: v(x)) for v in both]
        mpm = [
            best_seconds(lambda v=v: mpm_drops(v, image, (3, 9, 37), 8, 64, occluded=v.occluded(image)), repeat=2)
            for v in both
        ]
    return forward, mpm, float((got - ref).abs().max() / ref.abs().max())


def main() -> None:
    print(machine_line(), flush=True)  # every timing names the CPU it was taken on
    ap = argparse.ArgumentParser()
    ap.add_argument("--archs", nargs="+", default=["efficientnet_lite0", "efficientnet_lite1"])
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    device = pick_device()
    print(f"device {device}, {args.threads} thread(s), {args.size} px, batch {args.batch}")
    torch.manual_seed(0)
    x = torch.randn(args.batch, 3, args.size, args.size)
    print(f"{'arch':22s} {'forward s':>20s} {'x':>6s} {'MPM 1 image s':>20s} {'x':>6s} {'max rel diff':>12s}")
    for arch in args.archs:
        forward, mpm, diff = measure(arch, x, device)
        print(
            f"{arch:22s} {forward[0]:9.3f} -> {forward[1]:7.3f} {forward[0] / forward[1]:6.2f} "
            f"{mpm[0]:9.3f} -> {mpm[1]:7.3f} {mpm[0] / mpm[1]:6.2f} {diff:12.1e}"
        )


if __name__ == "__main__":
    main()
