"""Benchmark channels-last convolutions (``authxai.models.layout.channels_last``) against the
channels-first layout PyTorch builds networks in, in one run: the passes of the jobs that run a
trunk — a batch through the trunk (LIME's, faithfulness's and the counterfactual renders'
batches, the feature cache), and one image's Grad-CAM, LIME and MPM rows for the 10 variants of
an architecture with the embedded config's settings. Prints the speed-up and how far the
outputs moved (max |difference| over max |value|).

The networks are ``benchmarks/_common.py``'s (installed Lite weights, folded
BatchNorms as in the attribution jobs). An AVX2-only CPU can be emulated on a newer one with
``ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2`` (the first line says which ran).

    .venv/bin/python benchmarks/channels_last.py [--archs efficientnet_lite0 efficientnet_lite1]
        [--size 128] [--batch 64] [--threads 1]
"""

from __future__ import annotations

import argparse
import copy
import os
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")  # lime's per-run progress bars

import numpy as np
import torch
import yaml
from _common import best_seconds, variants_of

from authxai.attribution.pipeline import explain_variants
from authxai.attribution.variants import ExplainedVariants, SharedTrunkVariants
from authxai.models.backbones import fold_batchnorm, pick_device, split_backbone
from authxai.precision import machine_line

CONFIG = Path(__file__).resolve().parents[1] / "config" / "config.yaml"


def both_layouts(arch: str, size: int, device: torch.device) -> list[SharedTrunkVariants]:
    """The 10 variants with folded BatchNorms, channels first and channels last."""
    built = variants_of(arch, 10, device, size)
    folded = SharedTrunkVariants(*split_backbone(fold_batchnorm(built.trunk.model, arch), arch), list(built.heads))
    first = copy.deepcopy(folded).eval()
    first.trunk.to(memory_format=torch.contiguous_format)  # what PyTorch builds
    return [first, folded.eval()]


def relative(a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.abs(a - b).max() / max(np.abs(a).max(), 1e-12))


def measure(arch: str, x: torch.Tensor, settings: dict, device: torch.device) -> list[tuple[str, float, float, float]]:
    """(pass, channels-first s, channels-last s, max rel diff) for each pass of ``arch``."""
    layouts = both_layouts(arch, x.shape[-1], device)
    x, image = x.to(device), x[0].to(device)
    who = ExplainedVariants(arch, "test", "benchmark", tuple(range(10)))
    results = []
    with torch.no_grad():
        outs = [v(x) for v in layouts]
        seconds = [best_seconds(lambda v=v: v(x)) for v in layouts]
        results.append((f"trunk, batch {len(x)}", *seconds, relative(*outs)))
    for method in ("gradcam", "lime", "mpm"):
        cfg = {"seed": 0, **settings.get(method, {})}
        maps = [np.stack([r["map"] for r in explain_variants(method, v, image, cfg, who)]) for v in layouts]
        seconds = [
            best_seconds(lambda v=v, m=method, c=cfg: explain_variants(m, v, image, c, who), repeat=2) for v in layouts
        ]
        results.append((f"{method}, 1 image x 10 variants", *seconds, relative(*maps)))
    return results


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
    settings = yaml.safe_load(CONFIG.read_text())["attribution"]
    print(f"device {device}, {args.threads} thread(s), {args.size} px; settings of {CONFIG.name}")
    torch.manual_seed(0)
    x = torch.randn(args.batch, 3, args.size, args.size)
    print(f"{'arch':20s} {'pass':30s} {'channels first s':>16s} {'last s':>8s} {'x':>6s} {'max rel diff':>12s}")
    for arch in args.archs:
        for name, first, last, diff in measure(arch, x, settings, device):
            print(f"{arch:20s} {name:30s} {first:16.3f} {last:8.3f} {first / last:6.2f} {diff:12.1e}")


if __name__ == "__main__":
    main()
