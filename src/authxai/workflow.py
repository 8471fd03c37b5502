"""Glue between Snakemake scripts and the library: logging, timing, one-line errors."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from authxai.errors import InputError

log = logging.getLogger("authxai")


def setup_logging(log_file: str | Path | None = None) -> None:
    """Log INFO with timestamps to stderr and, when given, to ``log_file``."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, mode="w"))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", handlers=handlers, force=True
    )


def run_script(main: Callable[[Any], None], smk: Any) -> None:
    """Run ``main(snakemake)`` with logging and timing; an :class:`InputError` becomes one line.

    The line goes to stderr and the rule's log; the exit code is 1, so Snakemake marks the job
    failed and removes its (incomplete) outputs.
    """
    log_file = smk.log[0] if len(smk.log) else None
    setup_logging(log_file)
    start = time.perf_counter()
    log.info("rule %s started (threads=%s)", smk.rule, smk.threads)
    try:
        main(smk)
    except InputError as exc:
        log.error("%s", exc)
        sys.exit(1)
    except Exception:  # a bug, not bad input: the traceback belongs in the job's log too
        log.exception("rule %s failed after %.1f s", smk.rule, time.perf_counter() - start)
        raise
    log.info("rule %s finished in %.1f s", smk.rule, time.perf_counter() - start)
