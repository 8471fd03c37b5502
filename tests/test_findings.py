"""The README's findings are rendered from a run's snapshot, never typed: the block in README.md
is what the committed snapshot renders to, and the rendering shows the run's own cells."""

import json
from pathlib import Path

import pandas as pd
import pytest

from authxai import findings
from authxai.tables import write_parquet

REPO = Path(__file__).resolve().parents[1]


def fake_results(root: Path) -> Path:
    results = root / "results"
    (results / "tables").mkdir(parents=True)
    (results / "scorecard").mkdir()
    (results / "attributions" / "lime").mkdir(parents=True)
    write_parquet(pd.DataFrame({"a": [1]}), results / "attributions" / "lime" / "t.parquet", {"seed": 0})
    (results / "attributions" / "gradcam").mkdir()
    write_parquet(pd.DataFrame({"a": [1]}), results / "attributions" / "gradcam" / "t.parquet", {"seed": 0})
    card = pd.DataFrame(
        [
            {"method": "lime", "arch": "lite0", "within_r": "0.63 [0.58, 0.68]", "auroc": "0.61 [0.56, 0.65]"},
            {"method": "lime", "arch": "random_lite0", "within_r": "0.18 [0.16, 0.21]", "auroc": "0.58 [0.54, 0.63]"},
        ]
    ).assign(sanity="pass (n = 10)", control=[False, True])
    card.to_csv(results / "tables" / "table9_scorecard.csv", index=False)
    (results / "scorecard" / "scorecard.md").write_text("# Scorecard\n\nThe paragraph.\n\n| table |\n")
    return results


def test_render_shows_the_runs_cells_and_stamp(tmp_path):
    results = fake_results(tmp_path)
    findings.snapshot(results, tmp_path / "snap")
    block = findings.render(tmp_path / "snap")
    assert block.startswith(findings.START) and block.endswith(findings.END)
    assert "| lime     | lite0        | 0.63 [0.58, 0.68] | 0.61 [0.56, 0.65] | pass (n = 10) |" in block
    assert "The paragraph." in block and "| table |" not in block
    stamp = json.loads((tmp_path / "snap" / "stamp.json").read_text())
    assert stamp["created"] in block and stamp["config_md5"] in block
    assert f"precision {stamp['precision']})" in block  # what this process's trunks ran at, if any
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{findings.START}\nold\n{findings.END}\nrest\n")
    findings.write_readme(readme, block)
    assert readme.read_text() == f"intro\n{block}\nrest\n"


def test_a_missing_run_is_one_line(tmp_path):
    with pytest.raises(findings.InputError, match="run the study"):
        findings.snapshot(tmp_path / "nothing", tmp_path / "snap")


def test_readme_findings_are_the_committed_runs():
    """README.md's block equals what docs/results/ (the snapshot of a make run) renders to."""
    readme = (REPO / "README.md").read_text()
    assert findings.readme_block(readme) == findings.render(REPO / findings.SNAPSHOT)


def timing(capability: str, emulation: str, seconds: int) -> dict:
    return {
        "finished": "2026-12-02T10:00:00+00:00",
        "commit": "abc1234",
        "config_md5": "0123456789",
        "machine": "AMD EPYC, 2 cores",
        "cpu_capability": capability,
        "emulation": emulation,
        "precision": "lime fp32",
        "pipeline_seconds": seconds,
        "jobs": 108,
        "job_seconds": {"mpm": 300, "lime": 100, "sanity": 200, "figure": 30},
    }


def test_timings_keep_the_latest_run_per_kind_of_cpu(tmp_path):
    """make run records its timing; the README's timings block shows one row per CPU capability
    and emulation, the latest run's, with the rules that took longest."""
    emulated = "ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2"
    timings = findings.add_timing([], timing("AVX512", "", 800))
    timings = findings.add_timing(timings, timing("AVX2", emulated, 950))
    timings = findings.add_timing(timings, timing("AVX2", emulated, 870))
    assert [(t["cpu_capability"], t["pipeline_seconds"]) for t in timings] == [("AVX512", 800), ("AVX2", 870)]
    block = findings.render_timings(timings)
    assert "| AVX2 (emulated: `ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2`) | 870 s" in block
    assert "mpm 300 s, sanity 200 s, lime 100 s" in block
    results = tmp_path / "results"
    (results / "logs").mkdir(parents=True)
    (results / "logs" / "run_timing.json").write_text(json.dumps(timing("AVX512", "", 700)))
    readme = tmp_path / "README.md"
    readme.write_text(f"a\n{findings.TIMING_START}\nold\n{findings.TIMING_END}\nb\n")
    findings.write_timing(results, readme, tmp_path / "timings.json")
    assert " 700 s " in readme.read_text() and readme.read_text().startswith("a\n")


def test_readme_timings_are_the_recorded_runs():
    """README.md's timings block equals what docs/results/timings.json renders to."""
    timings = json.loads((REPO / findings.TIMINGS).read_text())
    readme = (REPO / "README.md").read_text()
    assert findings.readme_block(readme, findings.TIMING_START, findings.TIMING_END) == findings.render_timings(timings)
