"""`authxai run` and `authxai explore`: the snakemake command lines (the run, then its report) and the
explorer page."""

from __future__ import annotations

import sys
from pathlib import Path

from authxai.errors import InputError
from authxai.plan import paths

#: The repository of this source tree (the Snakefile lies at its top in a clone or an editable install).
REPO = Path(__file__).resolve().parents[3]


def snakefile() -> Path:
    """The repository's Snakefile, or a one-line error where authxai is installed without it."""
    path = REPO / "Snakefile"
    if not path.is_file():
        raise InputError(
            f"no Snakefile at {path}: `authxai run` needs a clone of the repository — install it with "
            "`pip install -e <clone>` (or run snakemake there)"
        )
    return path


def snakemake_command(config: Path, profile: str | None, extra: list[str]) -> list[str]:
    """The venv's snakemake on the repository's Snakefile with ``config``.

    ``--configfile`` comes last: it takes several files, so a target after it would be read as one.
    """
    command = [str(Path(sys.executable).with_name("snakemake")), "--snakefile", str(snakefile())]
    command += ["--profile", profile] if profile else []
    return [*command, *extra, "--configfile", str(config)]


#: Snakemake's flags for a run that executes nothing.
_DRY_RUN_FLAGS = frozenset({"-n", "--dry-run", "--dryrun", "--lint", "--dag", "--rulegraph", "--summary"})


def executes_jobs(extra: list[str]) -> bool:
    """Whether snakemake with these extra arguments runs jobs (not a dry run, lint or graph)."""
    return not _DRY_RUN_FLAGS.intersection(extra)


def report_command(config: Path) -> list[str]:
    """Snakemake's HTML report of the run of ``config`` into ``paths.REPORT`` (no profile: the
    report is built where the command runs, from the finished outputs)."""
    return snakemake_command(config, None, ["--report", paths.REPORT])


def explorer_page(results: Path) -> Path:
    """The explorer's index.html under ``results`` (a run's results/ folder), or a one-line error."""
    page = Path(results) / Path(paths.EXPLORER["index"]).relative_to("results")
    if not page.is_file():
        raise InputError(
            f"{page} does not exist yet: `authxai run CONFIG` makes it (or `snakemake {paths.EXPLORER['index']}`)"
        )
    return page
