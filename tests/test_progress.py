"""Progress lines of long jobs and the per-rule time summary make run ends with."""

import io
import logging

import pytest

from authxai.job_times import format_rule_times, rule_times
from authxai.progress import Progress, duration


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_progress_logs_rate_and_time_left_at_most_every_few_seconds(caplog):
    clock = Clock()
    progress = Progress("MPM masked images", 10, every_s=5.0, clock=clock, logger=logging.getLogger("t"))
    with caplog.at_level(logging.INFO, logger="t"):
        clock.now += 2
        progress.advance(1)  # 2 s after the start: too early for a line
        clock.now += 4
        progress.advance(2)  # 6 s: 3 of 10 done at 0.5/s -> 14 s left
        clock.now += 1
        progress.advance(1)  # 1 s after the last line: none
        clock.now += 13
        progress.advance(6)  # all done: the closing line says so, no "left" line
        progress.close()
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "MPM masked images: 3/10 (30 %), 0.5/s, 14 s left",
        "MPM masked images: 10/10 in 20 s, 0.5/s",
    ]


def test_progress_draws_a_bar_on_a_terminal():
    clock, terminal = Clock(), io.StringIO()
    progress = Progress("heads", 4, clock=clock, terminal=terminal, logger=logging.getLogger("t"))
    clock.now += 1
    progress.advance(2)
    clock.now += 1
    progress.advance(2)
    progress.close()
    frames = terminal.getvalue().split("\r")[1:]
    assert frames[0].startswith("[" + "#" * 15 + "." * 15 + "] heads: 2/4 (50 %)")
    assert frames[-1].startswith("[" + "#" * 30 + "] heads: 4/4 (100 %)") and frames[-1].endswith("\n")


def test_no_bar_where_nobody_watches():
    assert Progress("x", 1).terminal is None  # pytest captures stderr: not a terminal


@pytest.mark.parametrize(("seconds", "text"), [(0.4, "0 s"), (42, "42 s"), (185, "3 min 05 s"), (7620, "2 h 07 min")])
def test_durations_read_as_people_write_them(seconds, text):
    assert duration(seconds) == text


def test_rule_times_sum_the_jobs_logs_and_benchmark_files(tmp_path):
    logs, bench = tmp_path / "logs", tmp_path / "benchmarks"
    for name, rule, seconds in [("mpm/a", "mpm", 3.5), ("mpm/b", "mpm", 6.5), ("figure/f", "figure", 1.0)]:
        (logs / name).parent.mkdir(parents=True, exist_ok=True)
        (logs / f"{name}.log").write_text(f"x INFO rule {rule} started\nx INFO rule {rule} finished in {seconds} s\n")
    (logs / "failed.log").write_text("x INFO rule prune started\n")  # a job that never finished: left out
    (bench / "mpm").mkdir(parents=True)
    for name, wall in [("a", 7.25), ("b", 10.75)]:
        (bench / "mpm" / f"{name}.tsv").write_text(f"s\th:m:s\tmax_rss\n{wall}\t0:00:07\t100\n")
    table = rule_times(tmp_path).set_index("rule")
    assert list(table.index) == ["mpm", "figure"]
    assert table.loc["mpm", "jobs"] == 2 and table.loc["mpm", "seconds"] == pytest.approx(10.0)
    assert table.loc["mpm", "longest_job"] == pytest.approx(6.5)
    assert table.loc["mpm", "share"] == pytest.approx(10 / 11)
    assert table.loc["mpm", "benchmark_wall"] == pytest.approx(18.0)
    text = format_rule_times(rule_times(tmp_path), top=1)
    assert "1 other rules" in text and text.splitlines()[-1].split() == ["all", "3", "11"]
    assert format_rule_times(rule_times(tmp_path / "none")) == "no job logs with timings found"


def test_the_finished_line_reads_back():
    from authxai.workflow import FINISHED_LINE, FINISHED_PATTERN

    assert FINISHED_PATTERN.findall(FINISHED_LINE % ("mpm", 3.46)) == [("mpm", "3.5")]
