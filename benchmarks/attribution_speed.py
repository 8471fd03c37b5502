"""Benchmark the fast attribution and pruning paths against the naive way, in one run.

* MPM for the 10 seeds of an architecture: one shared trunk pass per masked image, masks built
  vectorized and batched, vs a per-variant loop that builds each masked image one by one and
  runs the full model (the authors' way).
* LIME for the 10 seeds: shared perturbations and trunk pass vs the ``lime`` package run once
  per variant at the same num_samples.
* SBS pruning: rank-1/batched candidates vs one tail forward per candidate channel; the
  selected channels must be identical.

    .venv/bin/python benchmarks/attribution_speed.py [--size 224] [--stride 28] [--lime-samples 500]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TQDM_DISABLE", "1")  # lime's per-run progress bars

import numpy as np
import torch
from _common import timed

from authxai.attribution.lime import (
    explain_from_predictions,
    lime_predictions,
    perturbations,
    slic_segments,
    unnormalize,
)
from authxai.attribution.mpm import centre_grid, mpm_drops
from authxai.attribution.variants import SharedTrunkVariants
from authxai.models.backbones import build_backbone, pick_device, split_backbone
from authxai.models.heads import RegressionHead
from authxai.precision import machine_line
from authxai.pruning import sbs_fast, sbs_naive

ARCH = "efficientnet_lite0"


@torch.no_grad()
def mpm_naive_variants(variants: SharedTrunkVariants, image: torch.Tensor, sizes, stride: int, batch: int = 16):
    """Per variant, per scale: masked images built one by one (clone + slice), full model forward."""
    _, h, w = image.shape
    centres = [(r, c) for r in centre_grid(h, stride) for c in centre_grid(w, stride)]
    out = []
    for k in range(len(variants.heads)):
        model = variants.variant(k)
        base = float(model(image[None])[0])
        per_scale = []
        for side in sizes:
            half, drops, pending = side // 2, [], []
            for r, c in centres:
                x = image.clone()
                x[:, max(0, r - half) : r + side - half, max(0, c - half) : c + side - half] = 0
                pending.append(x)
                if len(pending) == batch:
                    drops.append(base - model(torch.stack(pending)))
                    pending = []
            if pending:
                drops.append(base - model(torch.stack(pending)))
            per_scale.append(torch.cat(drops))
        out.append(torch.stack(per_scale))
    return torch.stack(out)


def main() -> None:
    print(machine_line(), flush=True)  # every timing names the CPU it was taken on
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--stride", type=int, default=28)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--lime-size", type=int, default=128)
    ap.add_argument("--lime-samples", type=int, default=500)
    ap.add_argument("--sbs-images", type=int, default=48)
    ap.add_argument("--sbs-steps", type=int, default=3)
    args = ap.parse_args()
    device = pick_device()
    torch.manual_seed(0)
    trunk, tail = split_backbone(build_backbone(ARCH).to(device), ARCH)
    heads = [RegressionHead(1280, (512, 128)).eval().to(device) for _ in range(args.seeds)]
    variants = SharedTrunkVariants(trunk, tail, heads).eval()
    sizes = (3, 17, 65)

    image = torch.randn(3, args.size, args.size, device=device)
    fast, t_fast = timed(lambda: mpm_drops(variants, image, sizes, stride=args.stride, batch_size=64))
    naive, t_naive = timed(lambda: mpm_naive_variants(variants, image, sizes, args.stride))
    n_grid = len(centre_grid(args.size, args.stride)) ** 2
    grid = fast[:, :, centre_grid(args.size, args.stride)][:, :, :, centre_grid(args.size, args.stride)]
    err = float((grid.reshape(args.seeds, len(sizes), -1) - naive).abs().max())
    print(
        f"MPM {args.seeds} variants, {len(sizes)} scales x {n_grid} centres at {args.size}px ({device}): "
        f"shared trunk {t_fast:.1f} s, naive per-variant {t_naive:.1f} s -> {t_naive / t_fast:.1f}x "
        f"(max |diff| {err:.1e})"
    )

    import skimage.data
    from lime.lime_image import LimeImageExplainer
    from PIL import Image

    from authxai.models.features import IMAGENET_MEAN, IMAGENET_STD

    photo = Image.fromarray(skimage.data.chelsea()).resize((args.lime_size, args.lime_size))
    photo = (np.asarray(photo, dtype=np.float32) / 255 - IMAGENET_MEAN) / IMAGENET_STD
    small = torch.tensor(photo, dtype=torch.float32, device=device).permute(2, 0, 1)
    segments = slic_segments(unnormalize(small), 150)
    k = int(segments.max()) + 1

    def ours():
        z = perturbations(k, args.lime_samples, seed=0)
        preds = lime_predictions(variants, small, segments, z, batch_size=64)
        return [explain_from_predictions(z, preds[:, v], segments) for v in range(args.seeds)]

    _, t_ours = timed(ours)
    hwc = small.permute(1, 2, 0).cpu().numpy().astype(np.float64)

    def package():
        for v in range(args.seeds):
            model = variants.variant(v)

            def predict(batch, model=model):
                with torch.no_grad():
                    x = torch.tensor(batch, dtype=torch.float32, device=device).permute(0, 3, 1, 2)
                    return model(x).cpu().numpy()[:, None]

            LimeImageExplainer(random_state=v).explain_instance(
                hwc,
                predict,
                labels=(0,),
                top_labels=None,
                hide_color=hwc.mean(axis=(0, 1)),
                num_samples=args.lime_samples,
                segmentation_fn=lambda _img: segments,
                num_features=k,
                batch_size=64,
            )

    _, t_pkg = timed(package)
    print(
        f"LIME {args.seeds} variants, {args.lime_samples} samples, {k} superpixels at {args.lime_size}px: "
        f"shared {t_ours:.1f} s, lime package per variant {t_pkg:.1f} s -> {t_pkg / t_ours:.1f}x"
    )

    with torch.no_grad():
        out = trunk(torch.randn(args.sbs_images, 3, args.size, args.size, device=device))
        truth = torch.ones(1280, device=device)
        truth[torch.randperm(1280)[:50]] = 0
        y = heads[0](tail(out.act, out.aux, truth))[0].cpu()
    act = out.act.cpu()
    tail_cpu = split_backbone(build_backbone(ARCH), ARCH)[1]
    head = heads[0].cpu()
    f_res, t_f = timed(lambda: sbs_fast(act, None, tail_cpu, head, y, max_steps=args.sbs_steps))
    n_res, t_n = timed(lambda: sbs_naive(act, None, tail_cpu, head, y, max_steps=args.sbs_steps))
    print(
        f"SBS {args.sbs_steps} steps over 1280 channels, {args.sbs_images} images: fast {t_f:.2f} s, "
        f"naive {t_n:.1f} s -> {t_n / t_f:.0f}x; identical channels: {f_res.removed == n_res.removed} "
        f"{f_res.removed}"
    )


if __name__ == "__main__":
    main()
