"""Glue between Snakemake scripts and the library: logging, timing, one-line errors."""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from authxai.errors import InputError

log = logging.getLogger("authxai")
#: The last line of every job's log (run_script) and the pattern that reads it back
#: (authxai.job_times sums them per rule).
FINISHED_LINE = "rule %s finished in %.1f s"
FINISHED_PATTERN = re.compile(r"rule (\w+) finished in ([\d.]+) s")
#: The report's texts (intro, figure caption, captions/<figure or table>.rst): package data, so
#: the workflow finds them from whichever authxai it runs with (its src/ or an installed wheel).
REPORT_DIR = Path(__file__).resolve().parent / "report"
#: Everything the workflow writes lives under this folder of the working directory.
RESULTS = "results"
#: Where synthesize_study renders the embedded planted-cue study (its dataset.root).
SYNTHETIC_ROOT = f"{RESULTS}/synthetic"
#: The embedded study's exclusion list, written by synthesize_study.
SYNTHETIC_COMBOS = f"{SYNTHETIC_ROOT}/excluded_combos.csv"


def report_source(path: str | Path, basedir: Any, depth: int) -> str:
    """A report text or caption (package data under :data:`REPORT_DIR`) as the Snakefile or
    rule file at ``depth`` folders below the workflow's root should name it (``basedir``:
    Snakemake's ``workflow.current_basedir``). Snakemake joins these paths onto the file's
    basedir: a local one takes the absolute path as it is, but a remote source's (``github(...)``:
    a URL) would turn it into a path inside the repository — there the same file is
    ``src/authxai/report/...`` of the repository, named relative to the file."""
    if basedir.is_local:
        return str(path)
    return "/".join([*[".."] * depth, "src", "authxai", "report", Path(path).relative_to(REPORT_DIR).as_posix()])


def registered_name(name: str, names: Iterable[str]) -> str | None:
    """The registry key ``name`` is filed under: ``name`` itself, else the longest key it
    extends with ``_<suffix>`` (per-architecture figures: ``fig_examples_<arch>`` ->
    ``fig_examples``); None when there is none. Figures and report captions are looked up so."""
    names = set(names)
    if name in names:
        return name
    prefixes = [key for key in names if name.startswith(f"{key}_")]
    return max(prefixes, key=len) if prefixes else None


def image_chunks(images: list[str], size: int) -> dict[str, list[str]]:
    """``images`` in order, ``size`` per attribution job: chunk name -> its images.

    A one-image chunk is named after its image (the paper config's per-image jobs and files);
    a longer one after its first and last image (``syn0115-syn0381``). Jobs, logs and
    attribution tables are named after chunks, so a table holds every image of its chunk and
    a reader keeps the images it asked for.
    """
    if size < 1:
        raise ValueError(f"images per job must be at least 1, not {size}")
    parts = [images[i : i + size] for i in range(0, len(images), size)]
    return {(part[0] if len(part) == 1 else f"{part[0]}-{part[-1]}"): part for part in parts}


def outside_results(paths: list[str]) -> list[str]:
    """The ``paths`` that do not stay inside ``results/`` (judged on the written path, ``..``
    folded: a results folder that is a link to scratch storage is fine)."""
    root = os.path.abspath(RESULTS)
    return [p for p in paths if os.path.commonpath([root, os.path.abspath(p)]) != root]


def check_outputs(paths: list[str], what: str) -> None:
    """One-line :class:`InputError` when ``what`` (a rule's outputs) would be written outside
    ``results/`` — paths are built from image ids and config values."""
    outside = outside_results(paths)
    if outside:
        raise InputError(
            f"{what}: output {outside[0]!r} would be written outside {RESULTS}/ — image ids and config "
            "values that name files must not contain '..' or '/'"
        )


def setup_logging(log_file: str | Path | None = None) -> None:
    """Log INFO with timestamps to stderr and, when given, to ``log_file``."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, mode="w"))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", handlers=handlers, force=True
    )


def set_threads(smk: Any) -> None:
    """Torch and the BLAS/OpenMP pools compute with the rule's declared ``params.torch_threads``,
    not with ``smk.threads``: Snakemake scales that down to --cores (and sets OMP/OpenBLAS/MKL
    thread variables from it), and the order of floating-point sums follows the thread count,
    so the numbers would depend on --cores. Rules that declare none compute with 1 thread; those
    that also do not import torch are left alone (importing it costs seconds)."""
    declared = smk.params.get("torch_threads")
    if declared is None and "torch" not in sys.modules:
        return
    import torch
    from threadpoolctl import threadpool_limits

    threads = int(declared or 1)
    torch.set_num_threads(threads)
    threadpool_limits(threads)
    if threads != smk.threads:
        log.info(
            "computing with %d threads on %s scheduled core(s): numbers do not depend on --cores", threads, smk.threads
        )


def run_script(main: Callable[[Any], None], smk: Any) -> None:
    """Run ``main(snakemake)`` with logging and timing; an :class:`InputError` becomes one line.

    The line goes to stderr and the rule's log; the exit code is 1, so Snakemake marks the job
    failed and removes its (incomplete) outputs.
    """
    try:  # before the log file is opened: the log path is built from the same ids
        check_outputs([*smk.output, *smk.log], f"rule {smk.rule}")
    except InputError as exc:
        sys.exit(f"authxai: {exc}")
    log_file = smk.log[0] if len(smk.log) else None
    setup_logging(log_file)
    start = time.perf_counter()
    log.info("rule %s started (threads=%s)", smk.rule, smk.threads)
    set_threads(smk)
    try:
        main(smk)
    except InputError as exc:
        log.error("%s", exc)
        sys.exit(1)
    except Exception:  # a bug, not bad input: the traceback belongs in the job's log too
        log.exception("rule %s failed after %.1f s", smk.rule, time.perf_counter() - start)
        raise
    log.info(FINISHED_LINE, smk.rule, time.perf_counter() - start)
