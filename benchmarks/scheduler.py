"""Benchmark Snakemake's own overhead, in one run: its defaults — the ILP scheduler (a CBC solve
each time it selects jobs) and a job rate limit of 100 per 1 s, which re-runs the selection every
second while jobs wait for cores — against ``--scheduler greedy``.

The jobs the pipeline runs are what they are; this measures what the scheduler adds. A stand-in
workflow with the shape of ``make run``'s DAG — as many jobs as a dry run of the given config
lists, fanned out and in over three levels — runs jobs that only sleep, so the CPU time of the
snakemake process and its children (the CBC solver included; a sleeping job costs ~0) is the
scheduler's. It is written under ``results/benchmarks/scheduler/`` and run there once per setting with
the same cores.

    .venv/bin/python benchmarks/scheduler.py [--config config/config.yaml] [--cores 2] [--sleep 0.5]
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from authxai.precision import machine_line

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "results" / "benchmarks" / "scheduler"
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))

STAND_IN = """
N = {n}
rule all:
    input: "done.txt"
rule leaf:
    output: "leaf/{{i}}.txt"
    priority: 10
    shell: "sleep {sleep}; echo {{wildcards.i}} > {{output}}"
rule middle:
    input: lambda wc: [f"leaf/{{i}}.txt" for i in range(int(wc.j), N, 8)]
    output: "middle/{{j}}.txt"
    shell: "sleep {sleep}; cat {{input}} > {{output}}"
rule top:
    input: expand("middle/{{j}}.txt", j=range(8))
    output: "done.txt"
    shell: "cat {{input}} > {{output}}"
"""


def dry_run_jobs(config: Path) -> int:
    """How many jobs a fresh run of ``config`` has (``snakemake -n --forceall``)."""
    out = subprocess.run(
        [SNAKEMAKE, "-n", "--forceall", "--quiet", "rules", "--configfile", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return int(re.search(r"^total\s+(\d+)", out, re.MULTILINE).group(1))


#: Name -> the flags a run adds.
SETTINGS = {"defaults (ilp, 100/1s)": [], "greedy": ["--scheduler", "greedy"]}


def run(flags: list[str], cores: int) -> tuple[float, float]:
    """(wall s, CPU s of snakemake and its children) of one run of the stand-in workflow."""
    for folder in ("leaf", "middle", ".snakemake"):
        shutil.rmtree(WORK / folder, ignore_errors=True)
    (WORK / "done.txt").unlink(missing_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [SNAKEMAKE, "--cores", str(cores), *flags, "--quiet", "all", "-s", "Snakefile"],
        cwd=WORK,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    print(machine_line(), flush=True)  # every timing names the CPU it was taken on
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", type=Path, default=ROOT / "config" / "config.yaml")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--sleep", type=float, default=2.0, help="seconds each stand-in job sleeps")
    args = ap.parse_args()
    n = dry_run_jobs(args.config)
    leaves = n - 9  # 8 middle jobs and the top one
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "Snakefile").write_text(STAND_IN.format(n=leaves, sleep=args.sleep))
    print(f"stand-in DAG of {n} jobs ({args.config.name}'s dry run), each sleeping {args.sleep} s; {args.cores} cores")
    results = {name: run(flags, args.cores) for name, flags in SETTINGS.items()}
    base_wall, base_cpu = results["defaults (ilp, 100/1s)"]
    for name, (wall, cpu) in results.items():
        print(
            f"{name:24s} wall {wall:6.1f} s   snakemake CPU {cpu:6.1f} s ({cpu / n * 1000:4.0f} ms per job, "
            f"{base_cpu / cpu:.2f}x less than the defaults)"
        )


if __name__ == "__main__":
    main()
