"""Time the sanity checks per image and method, as the ``sanity`` job runs them: every method of
a config on the original model and on its randomized copies (head re-initialized, the backbone
cascade, permuted ratings), one thread, at the config's image size. ``make run``'s sanity cost is
about (this per-image time) x ``sanity.n_images`` x the architectures. Each method is timed two
ways in one run: one network at a time (the naive way) and with the randomized copies sharing the
stages they kept with the original (``share_stages``, what the job does; same maps).

    .venv/bin/python benchmarks/sanity_per_image.py [--config config/config.yaml] [--arch efficientnet_lite0]
        [--images 2] [--precision fp32]
"""

from __future__ import annotations

import argparse
import time

import torch
import yaml

from authxai.models.backbones import build_backbone, get_spec
from authxai.models.heads import RegressionHead
from authxai.precision import cpu_capability, machine_line
from authxai.sanity import randomization_maps


def main() -> None:
    print(machine_line(), flush=True)  # every timing names the CPU it was taken on
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="config/config.yaml")
    parser.add_argument("--arch", default="efficientnet_lite0")
    parser.add_argument("--images", type=int, default=2)
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16"], help="every method's trunk")
    args = parser.parse_args()
    cfg = yaml.safe_load(open(args.config))
    torch.set_num_threads(1)
    spec, size = get_spec(args.arch), cfg["models"]["crop"]
    backbone = build_backbone(args.arch).eval().requires_grad_(False)
    torch.manual_seed(0)
    head = RegressionHead(spec.embed_dim, spec.head_hidden).eval()
    images = {
        f"x{i}": torch.randn(3, size, size, generator=torch.Generator().manual_seed(i)) for i in range(args.images)
    }
    cascade = [None if depth == "all" else int(depth) for depth in cfg["sanity"]["cascade"]]
    print(f"{args.arch} at {size} px, {args.precision}, CPU {cpu_capability()}, 1 thread, {args.images} images")
    totals = [0.0, 0.0]
    for method in cfg["attribution"]["methods"]:
        settings = {method: cfg["attribution"][method]}
        seconds = []
        for share in (False, True):
            start = time.perf_counter()
            randomization_maps(
                backbone,
                args.arch,
                head,
                None,
                head,
                images,
                settings,
                cascade,
                precisions={method: args.precision},
                share_stages=share,
            )
            seconds.append((time.perf_counter() - start) / args.images)
        totals = [t + s for t, s in zip(totals, seconds)]
        print(
            f"{method}: {seconds[0]:.1f} s per image one network at a time, {seconds[1]:.1f} s sharing stages "
            f"({seconds[0] / seconds[1]:.2f}x)"
        )
    print(f"all methods: {totals[0]:.1f} -> {totals[1]:.1f} s per image ({totals[0] / totals[1]:.2f}x)")


if __name__ == "__main__":
    main()
