"""Benchmark Snakemake's own overhead, in one run: its defaults — the ILP scheduler (a CBC solve
each time it selects jobs) and a job rate limit of 100 per 1 s, which re-runs the selection every
second while jobs wait for cores — against ``--scheduler greedy``; with ``--slurm``, the SLURM
profile's job status polling: snakemake-executor-plugin-slurm waits
``--slurm-init-seconds-before-status-checks`` (default 40 s) before a status check, 10 s longer
after each check that finds nothing finished (up to 180 s), and starts over when a job has
finished; its default against 10 s and 2 s, on a one-node SLURM cluster started on
this machine (``tests/slurm_cluster.py``; ``slurm-wlm`` and ``munge`` installed).

The jobs the pipeline runs are what they are; this measures what the scheduler adds. A stand-in
workflow with the shape of ``make run``'s DAG — as many jobs as a dry run of the given config
lists, fanned out and in over three levels — runs jobs that only sleep, so the CPU time of the
snakemake process and its children (the CBC solver included; a sleeping job costs ~0) is the
scheduler's. It is written under ``results/benchmarks/scheduler/`` and run there once per setting with
the same cores.

    .venv/bin/python benchmarks/scheduler.py [--config config/config.yaml] [--cores 2] [--sleep 0.5]
    .venv/bin/python benchmarks/scheduler.py --slurm [--jobs 33]    # status polling on SLURM
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
#: Name -> the flags a SLURM run adds (without accounting: squeue answers the status checks).
SLURM = ["--executor", "slurm", "--jobs", "100", "--slurm-status-command", "squeue"]
SLURM_SETTINGS = {
    "defaults (first check at 40 s)": SLURM,
    "first check at 10 s": [*SLURM, "--slurm-init-seconds-before-status-checks", "10"],
    "first check at 2 s": [*SLURM, "--slurm-init-seconds-before-status-checks", "2"],
}


def run(flags: list[str], cores: int, env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall s, CPU s of snakemake and its children) of one run of the stand-in workflow (on
    SLURM the jobs are the cluster daemons' children, so the CPU is the controlling snakemake's)."""
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
        env=env,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def report(results: dict[str, tuple[float, float]], n: int) -> None:
    """One line per setting: wall and snakemake CPU, as ratios against the first (the defaults)."""
    base_wall, base_cpu = next(iter(results.values()))
    for name, (wall, cpu) in results.items():
        print(
            f"{name:28s} wall {wall:6.1f} s ({base_wall / wall:.2f}x faster than the defaults)   snakemake CPU "
            f"{cpu:6.1f} s ({cpu / n * 1000:4.0f} ms per job, {base_cpu / cpu:.2f}x less than the defaults)"
        )


def run_on_slurm(cores: int) -> dict[str, tuple[float, float]]:
    """Each of :data:`SLURM_SETTINGS` through a one-node SLURM cluster started here."""
    sys.path.insert(0, str(ROOT / "tests"))
    from slurm_cluster import LocalSlurm  # the test suite's one-node cluster

    with LocalSlurm(WORK / "cluster") as cluster:
        return {name: run(flags, cores, env=cluster.env) for name, flags in SLURM_SETTINGS.items()}


def main() -> None:
    print(machine_line(), flush=True)  # every timing names the CPU it was taken on
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", type=Path, default=ROOT / "config" / "config.yaml")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--sleep", type=float, default=2.0, help="seconds each stand-in job sleeps")
    ap.add_argument("--slurm", action="store_true", help="measure the SLURM status polling instead")
    ap.add_argument("--jobs", type=int, help="stand-in jobs (default: the config's dry run; 33 with --slurm)")
    args = ap.parse_args()
    n = args.jobs or (33 if args.slurm else dry_run_jobs(args.config))
    leaves = n - 9  # 8 middle jobs and the top one
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "Snakefile").write_text(STAND_IN.format(n=leaves, sleep=args.sleep))
    where = "through a one-node SLURM cluster" if args.slurm else f"{args.cores} cores"
    print(f"stand-in DAG of {n} jobs, each sleeping {args.sleep} s; {where}")
    if args.slurm:
        report(run_on_slurm(args.cores), n)
    else:
        report({name: run(flags, args.cores) for name, flags in SETTINGS.items()}, n)


if __name__ == "__main__":
    main()
