"""The `authxai` command: init, estimate, run and explore (``[project.scripts]``).

* ``authxai init --images I.csv --ratings R.csv [--preset laptop|workstation|paper] --output C.yaml``
  writes a commented config for a ``kind: table`` dataset whose plan builds (:mod:`.init`).
* ``authxai estimate C.yaml…`` prints per stage the jobs, trunk passes and estimated CPU/GPU
  hours, from the plan and measured throughputs, before anything runs (:mod:`.estimate`).
* ``authxai run C.yaml [--profile P] [snakemake args…]`` runs the repository's Snakefile with the
  config, showing the estimate first when it exceeds an hour, and builds the report when it has
  run (:mod:`.run`).
* ``authxai explore [RESULTS]`` opens the explorer page in the browser.

Each command prints one line and exits 2 on an error a user can fix (:class:`InputError`).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from authxai.cli.presets import PRESETS
from authxai.errors import InputError

#: ``authxai run`` shows the estimate first above this many CPU hours.
SHOW_ESTIMATE_ABOVE_HOURS = 1.0


def read_config(path: Path) -> dict[str, Any]:
    """A config file as a dict (one-line error if missing or not a YAML mapping)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such config file — write one with `authxai init` or copy config/config.yaml")
    config = yaml.safe_load(path.read_text())
    if not isinstance(config, dict):
        raise InputError(f"{path}: not a YAML mapping of settings — see config/README.md")
    return config


def estimate_text(config_path: Path, base: Path) -> tuple[str, float | None]:
    """The printed estimate of one config and its total CPU hours (None where not estimated)."""
    from authxai.cli.estimate import estimate, format_estimate, load_throughputs
    from authxai.plan import build_plan

    plan = build_plan(read_config(config_path), base)
    throughputs = load_throughputs()
    costs = estimate(plan, throughputs)
    hours = [c.cpu_hours for c in costs]
    total = None if None in hours else sum(h for h in hours if h is not None)
    return format_estimate(costs, throughputs, str(config_path)), total


def cmd_init(args: argparse.Namespace) -> int:
    from authxai.cli.init import parse_columns, write_config

    config = write_config(
        args.output,
        args.images,
        args.ratings,
        preset=args.preset,
        base=args.directory,
        columns=parse_columns(args.column),
        scale=tuple(args.rating_scale),
        force=args.force,
    )
    archs = ", ".join(config["models"]["archs"])
    print(f"wrote {args.output} (preset {args.preset}: {archs}); next: authxai estimate {args.output}")
    return 0


def cmd_estimate(args: argparse.Namespace) -> int:
    for k, config in enumerate(args.configs):
        text, _ = estimate_text(config, args.directory)
        print(("\n" if k else "") + text)
    return 0


def cmd_run(args: argparse.Namespace, extra: list[str]) -> int:
    from authxai.cli.run import executes_jobs, snakemake_command

    command = snakemake_command(args.config, args.profile, extra)
    text, hours = estimate_text(args.config, Path("."))
    if hours is None or hours > SHOW_ESTIMATE_ABOVE_HOURS:
        print(text, flush=True)
    print("running: " + " ".join(command), flush=True)
    rc = subprocess.call(command)
    if rc == 0 and executes_jobs(extra):
        _build_report(args.config)
    return rc


def _build_report(config: Path) -> None:
    """The finished run's HTML report, as `make run` builds it; where it cannot be built (a run
    of some targets only), one line instead — the run itself succeeded."""
    from authxai.cli.run import report_command
    from authxai.plan.paths import REPORT, REPORT_LOG

    Path(REPORT_LOG).parent.mkdir(parents=True, exist_ok=True)
    with open(REPORT_LOG, "w") as log:
        built = subprocess.call(report_command(config), stdout=log, stderr=subprocess.STDOUT) == 0
    if built:
        print(f"Report: {REPORT}; explorer: `authxai explore`", flush=True)
    else:
        print(
            f"authxai run: no report ({REPORT_LOG} says why; a run of some targets lacks outputs the "
            f"report shows): after the whole run, `snakemake --report {REPORT} --configfile {config}`",
            flush=True,
        )


def cmd_explore(args: argparse.Namespace) -> int:
    import webbrowser

    from authxai.cli.run import explorer_page

    page = explorer_page(args.results).resolve()
    print(page)
    webbrowser.open(page.as_uri())
    return 0


def parser() -> argparse.ArgumentParser:
    """The command line (subcommands init, estimate, run, explore)."""
    top = argparse.ArgumentParser(prog="authxai", description=__doc__.split("\n\n")[0])
    sub = top.add_subparsers(dest="command", required=True)

    init = sub.add_parser("init", help="write a config for your own image and ratings tables")
    init.add_argument("--images", type=Path, required=True, help="image table CSV: image_id, path (relative to it)")
    init.add_argument(
        "--ratings",
        type=Path,
        required=True,
        help="raw ratings CSV: participant, image_id, dimension (quality/authenticity/correspondence), rating",
    )
    init.add_argument("--preset", choices=sorted(PRESETS), default="laptop", help="scale of the study (default laptop)")
    init.add_argument("--output", type=Path, required=True, help="the config file to write")
    init.add_argument("--force", action="store_true", help="overwrite an existing --output")
    init.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="CONTRACT=YOURS",
        help="your name of a column, e.g. --column image_id=id --column rating=score",
    )
    init.add_argument("--rating-scale", nargs=2, type=float, default=(1, 5), metavar=("LOWEST", "HIGHEST"))
    init.add_argument(
        "--directory",
        type=Path,
        default=Path("."),
        help="where the pipeline will run (paths are written relative to it; default: here)",
    )

    estimate = sub.add_parser("estimate", help="jobs, trunk passes and hours per stage, before anything runs")
    estimate.add_argument("configs", type=Path, nargs="+", metavar="CONFIG")
    estimate.add_argument("--directory", type=Path, default=Path("."), help="where the pipeline would run")

    run = sub.add_parser("run", help="run the pipeline (snakemake) on a config; other arguments go to snakemake")
    run.add_argument("config", type=Path)
    run.add_argument("--profile", help="snakemake profile, e.g. profiles/slurm")

    explore = sub.add_parser("explore", help="open the explorer page of a run's results")
    explore.add_argument("results", type=Path, nargs="?", default=Path("results"))
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `authxai` console script; returns the exit status."""
    args, extra = parser().parse_known_args(argv)
    if extra and args.command != "run":
        parser().error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if args.command == "run":
            return cmd_run(args, extra)
        return {"init": cmd_init, "estimate": cmd_estimate, "explore": cmd_explore}[args.command](args)
    except InputError as exc:
        print(f"authxai {args.command}: {exc}", file=sys.stderr)
        return 2
