"""Progress of a job's long loops: how far, how fast, how long left — in the job's log.

A stride-1 MPM image, a sanity cascade or a faithfulness curve set on the paper configuration
runs for minutes to hours; without progress lines its log says nothing between "started" and
"finished". :class:`Progress` logs ``done/total (percent), rate, time left`` at INFO at most
every ``every_s`` seconds (and once at the end), and when the job runs in a terminal also
keeps a one-line bar on stderr.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import TextIO

#: Seconds between two progress lines in a log.
EVERY_S = 5.0
#: Seconds between two redraws of the terminal bar.
BAR_EVERY_S = 0.2
BAR_WIDTH = 30

_log = logging.getLogger("authxai")


def duration(seconds: float) -> str:
    """``seconds`` as people read it: 42 s, 3 min 05 s, 2 h 07 min."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class Progress:
    """Counts ``total`` units of work named ``what``; call :meth:`advance` as they get done.

    >>> progress = Progress("MPM masked images", total=4)
    >>> for batch in ([1, 2], [3, 4]):
    ...     progress.advance(len(batch))
    >>> progress.close()
    """

    def __init__(
        self,
        what: str,
        total: int,
        *,
        every_s: float = EVERY_S,
        logger: logging.Logger | None = None,
        clock: Callable[[], float] = time.perf_counter,
        terminal: TextIO | None = None,
    ) -> None:
        self.what, self.total, self.every_s = what, max(int(total), 0), every_s
        self.logger = logger or _log
        self.clock = clock
        # A bar only where a person watches: a terminal (jobs under Snakemake write to files).
        stream = sys.stderr if terminal is None else terminal
        self.terminal = stream if terminal is not None or _is_tty(stream) else None
        self.done = 0
        self.start = self.last_line = self.last_bar = clock()

    def line(self) -> str:
        """``what: done/total (percent), rate/s, time left`` as of now."""
        elapsed = self.clock() - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        percent = 100.0 * self.done / self.total if self.total else 100.0
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        eta = duration(left) if left == left else "?"
        return f"{self.what}: {self.done}/{self.total} ({percent:.0f} %), {rate:.3g}/s, {eta} left"

    def advance(self, n: int = 1) -> None:
        """``n`` more units done; logs a line when ``every_s`` has passed since the last."""
        self.done += n
        now = self.clock()
        if now - self.last_line >= self.every_s and self.done < self.total:
            self.last_line = now
            self.logger.info("%s", self.line())
        if self.terminal is not None and now - self.last_bar >= BAR_EVERY_S:
            self.last_bar = now
            self._draw()

    def close(self) -> None:
        """The closing line: everything done, in how long and at what rate."""
        elapsed = self.clock() - self.start
        rate = f", {self.done / elapsed:.3g}/s" if elapsed > 0 else ""
        if self.terminal is not None:
            self._draw()
            self.terminal.write("\n")
        self.logger.info("%s: %d/%d in %s%s", self.what, self.done, self.total, duration(elapsed), rate)

    def _draw(self) -> None:
        filled = BAR_WIDTH * self.done // self.total if self.total else BAR_WIDTH
        self.terminal.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {self.line()}")
        self.terminal.flush()


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
