"""The `authxai` command: init writes configs whose plan builds, estimate counts what the dry run
plans and scales with the images, run drives snakemake, explore names what makes its page."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from authxai.cli import main
from authxai.cli.estimate import estimate, load_throughputs, model_stages, n_centres, other_jobs
from authxai.cli.presets import PRESETS, preset_config
from authxai.plan import build_plan
from conftest import REPO, TINY_CONFIG

#: Mixed image sizes (width, height): the models see every image at models.crop all the same.
SIZES = [(24, 16), (32, 32), (20, 40), (48, 36)]


def write_images_and_ratings(root: Path, n_images: int, n_raters: int = 4, seed: int = 0) -> tuple[Path, Path]:
    """PNG images of mixed sizes, an image table (image_id, path; no category columns) and raw
    ratings whose rating column is called ``score``."""
    rng = np.random.default_rng(seed)
    (root / "img").mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n_images):
        w, h = SIZES[i % len(SIZES)]
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(root / "img" / f"a{i:03d}.png")
        rows.append({"image_id": f"a{i:03d}", "path": f"img/a{i:03d}.png"})
    ratings = [
        {"participant": f"r{p}", "image_id": f"a{i:03d}", "dimension": dim, "score": int(rng.integers(1, 6))}
        for p in range(n_raters)
        for i in range(n_images)
        for dim in ("quality", "authenticity")
    ]
    pd.DataFrame(rows).to_csv(root / "images.csv", index=False)
    pd.DataFrame(ratings).to_csv(root / "ratings.csv", index=False)
    return root / "images.csv", root / "ratings.csv"


def init(work: Path, preset: str = "laptop", n_images: int = 40, *more: str) -> tuple[int, Path]:
    images, ratings = write_images_and_ratings(work / "mydata", n_images)
    output = work / f"{preset}.yaml"
    argv = ["init", "--images", str(images), "--ratings", str(ratings), "--preset", preset, "--output", str(output)]
    return main([*argv, "--column", "rating=score", "--directory", str(work), *more]), output


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_init_writes_a_commented_config_the_plan_accepts(tmp_path, preset, capsys):
    rc, output = init(tmp_path, preset)
    assert rc == 0, capsys.readouterr().err
    text = output.read_text()
    config = yaml.safe_load(text)
    assert config["dataset"] == {
        "kind": "table",
        "root": "mydata",
        "images": "images.csv",
        "ratings": "ratings.csv",
        "columns": {"rating": "score"},
        "rating_scale": [1, 5],
    }
    assert config["models"]["archs"] == PRESETS[preset][1]["models"]["archs"]
    assert f"--preset {preset}" in text and "# centre grid step" in text  # the schema's descriptions
    plan = build_plan(config, tmp_path)
    assert len(plan.images) == 40 and not plan.localization and not plan.counterfactual


def test_init_refuses_to_overwrite_without_force(tmp_path, capsys):
    assert init(tmp_path)[0] == 0
    capsys.readouterr()
    rc, output = init(tmp_path)
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "--force" in err and str(output) in err
    assert init(tmp_path, "laptop", 40, "--force")[0] == 0


def test_init_bad_csv_is_one_line_naming_file_and_column(tmp_path, capsys):
    images, ratings = write_images_and_ratings(tmp_path / "d", 30)
    pd.read_csv(ratings).drop(columns="dimension").to_csv(ratings, index=False)
    argv = ["init", "--images", str(images), "--ratings", str(ratings), "--output", str(tmp_path / "c.yaml")]
    rc = main([*argv, "--column", "rating=score", "--directory", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "ratings.csv" in err and "dimension" in err
    assert not (tmp_path / "c.yaml").exists()
    rc = main(["init", "--images", str(tmp_path / "none.csv"), "--ratings", str(ratings), "--output", "x.yaml"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "none.csv" in err


@pytest.mark.parametrize(("preset", "shipped"), [("laptop", "config.yaml"), ("paper", "aigciqa2023.yaml")])
def test_presets_are_the_shipped_configs_settings(preset, shipped):
    config = preset_config(preset, {"kind": "table"})
    ship = yaml.safe_load((REPO / "config" / shipped).read_text())
    for key, value in config.items():
        if key == "dataset" or key not in ship:  # the laptop preset's consistency block is the default
            continue
        want = ship[key]
        if key == "models":
            want = {k: v for k, v in want.items() if k != "weights"}
        assert value == want, key


def test_n_centres_is_the_length_of_mpms_grid():
    from authxai.attribution.mpm import centre_grid

    for size in (17, 64, 128, 224):
        for stride in (1, 3, 8, 16, 100):
            assert n_centres(size, stride) == len(centre_grid(size, stride))


def _stages(plan) -> dict[str, int]:
    return {s.name: s.total_passes for s in model_stages(plan)}


def test_estimate_scales_with_the_images_and_the_stride(tmp_path):
    images, ratings = write_images_and_ratings(tmp_path / "mydata", 80)
    from authxai.cli.init import table_block

    def plan(n: int, stride: int = 8, shared: bool = True):
        config = preset_config("laptop", table_block(images, ratings, tmp_path, {"rating": "score"}))
        config["attribution"].update(n_images=n, n_train_images=n, n_ensemble_images=n)
        config["attribution"]["mpm"]["stride"] = stride
        config["attribution"]["lime"]["shared_samples"] = shared
        return build_plan(config, tmp_path)

    one, two = _stages(plan(3)), _stages(plan(6))
    for stage in ("mpm", "lime", "gradcam"):
        assert two[stage] == 2 * one[stage], stage
    # 3 archs x (3 test + 3 training + 3 val images) x (17^2 centres — every 8 px and the last
    # pixel — x 3 sizes + the intact image)
    assert one["mpm"] == 3 * 9 * (17**2 * 3 + 1)
    assert _stages(plan(3, stride=4))["mpm"] == 3 * 9 * (33**2 * 3 + 1)
    # a draw per variant (10) and the ensemble's in regime val instead of one shared draw
    assert _stages(plan(3, shared=False))["lime"] == 3 * 300 * (6 * 10 + 3 * 11)


def test_estimate_prints_a_total_line(tmp_path, capsys):
    rc, output = init(tmp_path)
    assert rc == 0 and capsys.readouterr().out.startswith("wrote ")
    assert main(["estimate", str(output), "--directory", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ESTIMATE for") and "throughputs: benchmarks/throughputs.py" in out
    total = next(line for line in out.splitlines() if line.startswith("total"))
    jobs, passes, cpu_hours = total.split()[1:4]
    assert int(jobs.replace(",", "")) > 0 and int(passes.replace(",", "")) > 0 and float(cpu_hours) > 0


def test_estimate_of_the_paper_config(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert main(["estimate", "config/aigciqa2023.yaml", "config/config.yaml"]) == 0
    totals = [line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("total")]
    assert [t[1] for t in totals] == ["8,455", "109"]  # tests/dry_run_jobs.json's paper and default totals
    assert float(totals[0][3].replace(",", "")) > 1000  # stride-1 MPM: thousands of CPU hours


def test_throughputs_name_their_source_and_every_registered_backbone():
    from authxai.models.backbones import REGISTRY

    data = json.loads((REPO / "src" / "authxai" / "cli" / "throughputs.json").read_text())
    assert {"date", "commit", "cpu_capability", "machine", "generated_by"} <= set(data)
    assert set(data["cpu"]["seconds_per_image"]) == set(REGISTRY)
    assert "benchmarks/throughputs.py" in load_throughputs().source


@pytest.mark.parametrize(
    ("name", "config"),
    [
        ("tiny", TINY_CONFIG),
        ("default", "config/config.yaml"),
        ("embedded_full", "config/embedded_full.yaml"),
        ("paper", "config/aigciqa2023.yaml"),
    ],
)
def test_job_counts_are_the_dry_runs(name, config):
    if isinstance(config, str):
        config = yaml.safe_load((REPO / config).read_text())
    plan = build_plan(config, REPO)
    counts = {**other_jobs(plan), **{s.name: s.jobs for s in model_stages(plan)}}
    want = json.loads((REPO / "tests" / "dry_run_jobs.json").read_text())[name]
    assert counts == {rule: n for rule, n in want.items() if rule != "total"}
    assert sum(c.jobs for c in estimate(plan, load_throughputs())) == want["total"]


def test_explore_without_a_page_is_one_line(tmp_path, capsys):
    assert main(["explore", str(tmp_path / "results")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "index.html does not exist yet" in err and "authxai run" in err


def authxai_command() -> list[str]:
    """The installed console script, or the module where the venv predates the entry point."""
    script = Path(sys.executable).with_name("authxai")
    return [str(script)] if script.exists() else [sys.executable, "-m", "authxai.cli"]


@pytest.mark.workflow
def test_run_dry_run_through_the_console_script(tmp_path):
    rc, output = init(tmp_path)
    assert rc == 0
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [*authxai_command(), "run", output.name, "-n", "--cores", "1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    assert "--configfile" in out and "This was a dry-run" in out


def test_run_shows_the_estimate_first_when_over_an_hour(monkeypatch, capsys):
    import authxai.cli

    calls = []
    monkeypatch.setattr(authxai.cli.subprocess, "call", lambda command: calls.append(command) or 0)
    monkeypatch.chdir(REPO)
    assert main(["run", "config/aigciqa2023.yaml", "-n", "results/tables/table2_performance.csv"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ESTIMATE for config/aigciqa2023.yaml") and "\nrunning: " in out
    # the target before --configfile, which would read it as a second config file
    assert calls[0][-4:] == ["-n", "results/tables/table2_performance.csv", "--configfile", "config/aigciqa2023.yaml"]
    assert calls[0][:3] == [str(Path(sys.executable).with_name("snakemake")), "--snakefile", str(REPO / "Snakefile")]


@pytest.mark.parametrize("report_rc", [0, 1])
def test_run_builds_the_report_after_a_run_and_says_so_when_it_cannot(tmp_path, monkeypatch, capsys, report_rc):
    """Like `make run`: a run that executed jobs is followed by `snakemake --report` with the same
    config (its output in results/logs/report.log); a dry run is not, and a report that cannot be
    built is one line, the run's exit status kept."""
    import authxai.cli

    rc, output = init(tmp_path)
    assert rc == 0
    monkeypatch.chdir(tmp_path)
    calls = []
    monkeypatch.setattr(
        authxai.cli.subprocess, "call", lambda command, **kw: calls.append(command) or (report_rc if calls[1:] else 0)
    )
    assert main(["run", output.name, "--cores", "2"]) == 0
    assert len(calls) == 2 and calls[1][-3:] == ["results/report.html", "--configfile", output.name]
    assert "--report" in calls[1] and "--profile" not in calls[1]
    assert (tmp_path / "results" / "logs" / "report.log").is_file()
    out = capsys.readouterr().out.splitlines()
    if report_rc == 0:
        assert out[-1] == "Report: results/report.html; explorer: `authxai explore`"
    else:
        assert out[-1].startswith("authxai run: no report (results/logs/report.log says why")
    calls.clear()
    assert main(["run", output.name, "-n"]) == 0
    assert len(calls) == 1
