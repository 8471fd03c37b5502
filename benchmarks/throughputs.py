"""Measure the trunk cost per image of every registered backbone: the data `authxai estimate` reads.

Every attribution stage is, to first order, a number of images through one shared trunk pass
(all variants of an architecture share it), so the cost of one such image per backbone — as the
attribution jobs run it: eval mode, BatchNorms folded, channels last, one torch thread (each job
computes with one thread), ten heads — is what `authxai estimate` multiplies the plan's trunk
passes by. On the CPU this measures *CPU time* (``time.process_time``), not wall time, so it stays
right on a machine shared with other work; on CUDA it measures wall time after synchronizing.
It also measures the CPU time of a job's start-up (a fresh Python importing what an attribution
job imports and building the backbone).

    PYTHONPATH=src .venv/bin/python benchmarks/throughputs.py            # rewrites the package file
    PYTHONPATH=src .venv/bin/python benchmarks/throughputs.py --archs vgg16 --output /tmp/t.json

Writes ``src/authxai/cli/throughputs.json`` stamped with the date, the commit, torch's CPU
capability and the machine; run it on a GPU node to add the ``gpu`` block. Random-init weights:
the cost does not depend on the weights' values.
"""

from __future__ import annotations

import argparse
import datetime
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch

from authxai.attribution.variants import SharedTrunkVariants
from authxai.models.backbones import REGISTRY, fold_batchnorm, get_spec, on_device, split_backbone
from authxai.models.heads import RegressionHead
from authxai.precision import cpu_capability, machine_line

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "src" / "authxai" / "cli" / "throughputs.json"
#: What a fresh attribution job does before its first image (imports and building the backbone).
STARTUP = (
    "import sys, torch, timm, pandas, scipy; torch.set_num_threads(1); "
    "import authxai.attribution.pipeline, authxai.attribution.mpm, authxai.attribution.lime; "
    "from authxai.models.backbones import get_spec; get_spec(sys.argv[1]).build()"
)


def model_variants(arch: str, device: torch.device, n_heads: int) -> SharedTrunkVariants:
    """``n_heads`` variants of ``arch`` sharing one trunk, laid out as attribution jobs run them."""
    torch.manual_seed(0)
    model = on_device(fold_batchnorm(get_spec(arch).build().eval(), arch), device)
    trunk, tail = split_backbone(model, arch)
    spec = get_spec(arch)
    heads = [RegressionHead(spec.embed_dim, spec.head_hidden).eval().to(device) for _ in range(n_heads)]
    return SharedTrunkVariants(trunk, tail, heads).eval()


@torch.no_grad()
def seconds_per_image(arch: str, device: torch.device, size: int, batch: int, reps: int, n_heads: int) -> float:
    """CPU seconds (on CUDA: wall seconds) per image of one shared-trunk forward of ``n_heads`` heads."""
    variants = model_variants(arch, device, n_heads)
    x = torch.randn(batch, 3, size, size, device=device)
    variants(x)  # warm-up: oneDNN primitives, cudnn autotuning
    if device.type == "cuda":
        torch.cuda.synchronize()
        start = time.perf_counter()
    else:
        start = time.process_time()
    for _ in range(reps):
        variants(x)
    if device.type == "cuda":
        torch.cuda.synchronize()
        return (time.perf_counter() - start) / (reps * batch)
    return (time.process_time() - start) / (reps * batch)


def startup_cpu_seconds(arch: str) -> float:
    """CPU seconds a fresh Python spends importing an attribution job's modules and building ``arch``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", STARTUP, arch], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def commit() -> str:
    """The repository's commit (``unknown`` outside a git clone)."""
    proc = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return proc.stdout.strip() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archs", nargs="+", default=list(REGISTRY))
    parser.add_argument("--size", type=int, default=224, help="input side in pixels (estimates scale by area)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--heads", type=int, default=10, help="variants sharing the trunk (training.seeds)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    torch.set_num_threads(1)  # as every pipeline job computes (Plan.torch_threads)
    print(machine_line(), flush=True)
    old = json.loads(args.output.read_text()) if args.output.exists() else {}
    cpu = {}
    for arch in args.archs:
        cpu[arch] = seconds_per_image(arch, torch.device("cpu"), args.size, args.batch, args.reps, args.heads)
        print(f"{arch:>22}: {cpu[arch]:.4f} CPU s per image at {args.size} px (1 thread)", flush=True)
    gpu = dict(old.get("gpu", {}))
    if torch.cuda.is_available():
        device = torch.device("cuda")
        gpu = {"device": torch.cuda.get_device_name(), "seconds_per_image": {}}
        for arch in args.archs:
            gpu["seconds_per_image"][arch] = seconds_per_image(arch, device, args.size, 64, args.reps, args.heads)
            print(f"{arch:>22}: {gpu['seconds_per_image'][arch]:.5f} GPU s per image", flush=True)
    startup = startup_cpu_seconds(args.archs[0])
    print(f"job start-up: {startup:.1f} CPU s", flush=True)
    data = {
        "generated_by": "benchmarks/throughputs.py",
        "regenerate": "PYTHONPATH=src .venv/bin/python benchmarks/throughputs.py",
        "date": datetime.date.today().isoformat(),
        "commit": commit(),
        "machine": machine_line(),
        "cpu_capability": cpu_capability(),
        "torch": torch.__version__,
        "size": args.size,
        "heads": args.heads,
        "precision": "fp32",
        "cpu": {
            "threads": 1,
            "measure": "process CPU time",
            "seconds_per_image": {**old.get("cpu", {}).get("seconds_per_image", {}), **cpu},
        },
        "gpu": gpu,
        "job_startup_cpu_s": startup,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
