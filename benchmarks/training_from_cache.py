"""Benchmark: training 10 heads from the feature cache vs the naive way (backbone forward every
epoch, as in the authors' code), at equal epochs; and feature-extraction throughput vs the bare
backbone forward. Prints ratios measured in this run.

    .venv/bin/python benchmarks/training_from_cache.py [--images 128] [--epochs 5] [--arch efficientnet_lite0]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from authxai.data.synthetic import StudySettings, iter_rendered, plan_study
from authxai.models.backbones import build_backbone, get_spec, pick_device, split_backbone
from authxai.models.features import extract_features, load_images
from authxai.models.heads import RegressionHead
from authxai.precision import machine_line


def write_images(n: int, folder: Path) -> list[Path]:
    settings = StudySettings(n_images=n, image_size=224, seed=11)
    images, _ = plan_study(settings)
    paths = []
    for image_id, img, _ in iter_rendered(images, settings):
        paths.append(folder / f"{image_id}.png")
        Image.fromarray(img).save(paths[-1])
    return paths


def train_epochs(head: RegressionHead, batches, epochs: int, embed) -> None:
    opt = torch.optim.Adam(head.parameters(), lr=1e-3)
    for _ in range(epochs):
        for x, y in batches:
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(head(embed(x))[0], y)
            loss.backward()
            opt.step()


def main() -> None:
    print(machine_line(), flush=True)  # every timing names the CPU it was taken on
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--heads", type=int, default=10)
    ap.add_argument("--arch", default="efficientnet_lite0")
    args = ap.parse_args()
    device = pick_device()
    spec = get_spec(args.arch)
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_images(args.images, Path(tmp))
        y = torch.tensor(np.random.default_rng(0).normal(50, 8, args.images), dtype=torch.float32)

        # -- feature extraction vs bare forward -------------------------------------------
        start = time.perf_counter()
        feats = extract_features(args.arch, paths, [p.stem for p in paths], 224, 224, 32, device=device)
        t_extract = time.perf_counter() - start
        model = build_backbone(args.arch).to(device)
        x_all = load_images(paths, 224, 224).to(device)
        start = time.perf_counter()
        with torch.no_grad():
            for lo in range(0, len(x_all), 32):
                model(x_all[lo : lo + 32])
        t_bare = time.perf_counter() - start
        print(
            f"feature extraction: {len(paths) / t_extract:.1f} images/s (incl. decoding, fp16 cache, tail); "
            f"bare backbone forward: {len(paths) / t_bare:.1f} images/s; ratio {t_bare / t_extract:.2f}"
        )

        # -- heads: cached embeddings vs backbone forward every epoch ----------------------
        emb = feats["embedding"].to(device)
        cached_batches = [(emb[lo : lo + 64], y[lo : lo + 64].to(device)) for lo in range(0, len(emb), 64)]
        start = time.perf_counter()
        for seed in range(args.heads):
            torch.manual_seed(seed)
            train_epochs(
                RegressionHead(spec.embed_dim, spec.head_hidden).to(device), cached_batches, args.epochs, lambda e: e
            )
        t_cached = time.perf_counter() - start + t_extract  # the cache is built once and counted here

        trunk, tail = split_backbone(model, args.arch)
        image_batches = [(x_all[lo : lo + 64], y[lo : lo + 64].to(device)) for lo in range(0, len(x_all), 64)]

        def naive_embed(x):
            with torch.no_grad():
                return tail(*trunk(x))

        start = time.perf_counter()
        for seed in range(args.heads):
            torch.manual_seed(seed)
            train_epochs(
                RegressionHead(spec.embed_dim, spec.head_hidden).to(device), image_batches, args.epochs, naive_embed
            )
        t_naive = time.perf_counter() - start
    print(
        f"{args.heads} heads x {args.epochs} epochs on {args.images} images ({args.arch}, {device}): "
        f"from cache {t_cached:.1f} s (extraction {t_extract:.1f} s included), naive {t_naive:.1f} s "
        f"-> {t_naive / t_cached:.1f}x faster"
    )
    scale = 250 / args.epochs
    projected = t_naive * scale / (t_extract + (t_cached - t_extract) * scale)
    print(
        f"at the paper's up to 250 epochs the naive cost grows x{scale:.0f} while the cache stays one "
        f"extraction: ~{projected:.0f}x"
    )


if __name__ == "__main__":
    main()
