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
