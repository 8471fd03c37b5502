"""Where a run's time went, per rule: from the jobs' logs and Snakemake's benchmark files.

Every job's log ends with ``rule <name> finished in <s> s`` (:func:`authxai.workflow.run_script`:
the work inside the job); the heavy rules also write Snakemake benchmark files
(``results/benchmarks/<rule>/<job>.tsv``: the wall time of the whole job, Python start-up and
imports included). ``make run`` prints this table at its end and, given the pipeline's wall time,
records the run's timing with the machine it ran on in ``results/logs/run_timing.json`` (what
``python -m authxai.findings results --write-timing`` puts in the README):

    .venv/bin/python -m authxai.job_times [results] [--wall SECONDS]
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from authxai.workflow import FINISHED_PATTERN


def rule_times(results: str | Path = "results") -> pd.DataFrame:
    """Per rule: jobs, the seconds inside them (sum and longest job) and, where the rule writes
    benchmark files, their wall seconds; the most expensive rule first."""
    results = Path(results)
    rows = []
    for log in sorted((results / "logs").rglob("*.log")):
        found = FINISHED_PATTERN.findall(log.read_text(errors="replace"))
        if found:
            rule, seconds = found[-1]
            rows.append({"rule": rule, "seconds": float(seconds)})
    columns = ["rule", "jobs", "seconds", "longest_job", "share", "benchmark_wall"]
    if not rows:
        return pd.DataFrame(columns=columns)
    jobs = pd.DataFrame(rows).groupby("rule")["seconds"]
    table = pd.DataFrame({"jobs": jobs.size(), "seconds": jobs.sum(), "longest_job": jobs.max()})
    table["share"] = table["seconds"] / table["seconds"].sum()
    table["benchmark_wall"] = pd.Series(_benchmark_walls(results), dtype=float)
    return table.sort_values("seconds", ascending=False).reset_index()[columns]


def _benchmark_walls(results: Path) -> dict[str, float]:
    """Rule -> summed wall seconds of its benchmark files (column ``s``)."""
    walls: dict[str, float] = {}
    for tsv in (results / "benchmarks").glob("*/*.tsv"):
        with tsv.open() as handle:
            for record in csv.DictReader(handle, delimiter="\t"):
                walls[tsv.parent.name] = walls.get(tsv.parent.name, 0.0) + float(record["s"])
    return walls


def format_rule_times(table: pd.DataFrame, top: int = 12) -> str:
    """The ``top`` rules as aligned text lines, the rest summed in one line."""
    if table.empty:
        return "no job logs with timings found"
    lines = [f"{'rule':<32} {'jobs':>5} {'seconds':>8} {'share':>6} {'longest job':>12} {'job wall':>9}"]
    for row in table.head(top).itertuples():
        wall = "" if pd.isna(row.benchmark_wall) else f"{row.benchmark_wall:.0f}"
        lines.append(
            f"{row.rule:<32} {row.jobs:>5} {row.seconds:>8.0f} {row.share:>6.0%} {row.longest_job:>12.1f} {wall:>9}"
        )
    rest = table.iloc[top:]
    if len(rest):
        lines.append(f"{f'{len(rest)} other rules':<32} {rest['jobs'].sum():>5} {rest['seconds'].sum():>8.0f}")
    lines.append(f"{'all':<32} {table['jobs'].sum():>5} {table['seconds'].sum():>8.0f}")
    return "\n".join(lines)


#: Where ``--wall`` records a run's timing.
RUN_TIMING = Path("logs") / "run_timing.json"


def run_timing(results: str | Path, wall_seconds: float) -> dict:
    """A run's timing and the machine it ran on: the pipeline's wall seconds, the jobs, the
    seconds inside them per rule, torch's CPU capability (and emulation variables), commit and
    config of the run (:func:`authxai.findings.run_stamp`)."""
    from authxai.findings import run_stamp
    from authxai.precision import emulation, machine_line

    stamp = run_stamp(Path(results))
    table = rule_times(results)
    return {
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": stamp["commit"],
        "config_md5": stamp["config_md5"],
        "machine": machine_line().split(";")[0].removeprefix("machine: "),
        "cpu_capability": stamp["cpu_capability"],
        "emulation": emulation(),
        "precision": stamp["precision"],
        "pipeline_seconds": round(float(wall_seconds)),
        "jobs": int(table["jobs"].sum()) if len(table) else 0,
        "job_seconds": {row.rule: round(float(row.seconds)) for row in table.itertuples()},
    }


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    results = args[0] if args and not args[0].startswith("-") else "results"
    print("Where the time went (seconds inside the jobs; job wall: whole jobs incl. start-up, where benchmarked):")
    print(format_rule_times(rule_times(results)))
    if "--wall" in args:
        record = run_timing(results, float(args[args.index("--wall") + 1]))
        (Path(results) / RUN_TIMING).write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
