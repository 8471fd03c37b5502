"""Benchmark attribution jobs that explain several images (``attribution.images_per_job``)
against a job per image, in one run, on a finished run's results.

Each attribution job starts Python, imports torch and the package and loads its variants
(backbone, heads, pruning masks) before it explains anything: ~6 s on 2 CPU cores, more than
the work of a Grad-CAM or coarse-MPM job on one image. This reruns the chosen methods' jobs
of a finished run (``make run``) twice in a scratch copy — one image per job, then the
configured chunks — and prints the wall times and their ratio; the maps must be identical.

    .venv/bin/python benchmarks/attribution_jobs.py [--workdir .] [--methods gradcam mpm] [--cores 2]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

from authxai.precision import machine_line

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")


def rerun(work: Path, methods: list[str], images_per_job: int, cores: int) -> float:
    """Wall seconds of rerunning every job of ``methods`` with ``images_per_job``."""
    config = work / "config" / "config.yaml"
    cfg = yaml.safe_load(config.read_text())
    cfg["attribution"]["images_per_job"] = images_per_job
    config.write_text(yaml.safe_dump(cfg))
    cmd = [str(SNAKEMAKE), "--snakefile", str(REPO / "Snakefile"), "--directory", str(work), "--cores", str(cores)]
    cmd += ["--forcerun", *methods, "--until", *methods, "--quiet", "rules"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"snakemake failed:\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def tables(work: Path, methods: list[str]) -> dict[tuple, pd.DataFrame]:
    """(method, regime, arch, image) -> its rows, from whatever chunk tables hold them."""
    out = {}
    for method in methods:
        for path in sorted((work / "results" / "attributions" / method).rglob("*.parquet")):
            for image, rows in pd.read_parquet(path).groupby("image_id"):
                out[(method, path.parts[-3], path.parts[-2], image)] = rows.sort_values("seed").reset_index(drop=True)
    return out


def main() -> None:
    print(machine_line(), flush=True)  # every timing names the CPU it was taken on
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("."), help="a finished run (results/, config/)")
    parser.add_argument("--methods", nargs="+", default=["gradcam", "mpm"])
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    configured = yaml.safe_load((args.workdir / "config" / "config.yaml").read_text())["attribution"]
    chunk = configured.get("images_per_job", 1)
    if chunk == 1:
        sys.exit("the run's config has attribution.images_per_job: 1 — nothing to compare")
    with tempfile.TemporaryDirectory(prefix="authxai-bench-") as tmp:
        work = Path(tmp)
        for part in ("config", "results"):
            shutil.copytree(args.workdir / part, work / part, symlinks=True)
        shutil.rmtree(work / "results" / "attributions")
        per_image = rerun(work, args.methods, 1, args.cores)
        single = tables(work, args.methods)
        shutil.rmtree(work / "results" / "attributions")
        chunked = rerun(work, args.methods, chunk, args.cores)
        grouped = tables(work, args.methods)
    assert single.keys() == grouped.keys(), "the two runs explained different images"
    for key, rows in single.items():
        pd.testing.assert_frame_equal(rows, grouped[key], check_exact=False, rtol=1e-6, atol=1e-7)
    print(f"{' + '.join(args.methods)}: {len(single)} (method, regime, arch, image) tables, identical")
    print(f"  one image per job:       {per_image:6.1f} s")
    print(f"  {chunk} images per job:       {chunked:6.1f} s")
    print(f"  speed-up: {per_image / chunked:.2f}x")


if __name__ == "__main__":
    main()
