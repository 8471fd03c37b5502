"""The conda environment of the rules pins what requirements.txt pins, and the workflow lints clean."""

import os
import re
import subprocess
import sysconfig
import venv
from pathlib import Path

import pytest
import yaml

from conftest import REPO, SNAKEMAKE, TINY_CONFIG, make_workdir, run_snakemake


def _pins(lines) -> dict[str, str]:
    pins = {}
    for line in lines:
        m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)==([^\s#]+)\s*", line)
        if m:
            pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def test_conda_env_pins_equal_the_pip_requirements():
    requirements = _pins((REPO / "requirements.txt").read_text().splitlines())
    env = yaml.safe_load((REPO / "envs" / "authxai.yaml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pinned = _pins(pip)
    assert len(pinned) >= 15
    assert {k: requirements.get(k) for k in pinned} == pinned
    # every runtime dependency of the package is in the env (snakemake runs the env, not in it)
    import tomllib

    deps = _pins(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"])
    assert {k for k in deps if not k.startswith("snakemake")} == set(pinned)
    assert "python=3.11" in env["dependencies"]
    # no relative paths: Snakemake builds the env from its copy under .snakemake/conda/
    assert not [line for line in pip if ".." in line or line.startswith("-e")]


def test_every_rule_names_the_env_and_a_log():
    text = "".join(p.read_text() for p in sorted((REPO / "workflow" / "rules").glob("*.smk")))
    rules = [c for c in re.split(r"(?m)^(?=\s*rule\b)", text) if c.lstrip().startswith("rule")]
    assert len(rules) >= 15
    for rule in rules:
        assert "conda:\n" in rule and "CONDA_ENV" in rule, rule[:80]
        assert "log:\n" in rule, rule[:80]
    # the rules' env, relative to workflow/rules/, is the repository's env file
    assert 'CONDA_ENV = "../../envs/authxai.yaml"' in text
    assert (REPO / "workflow" / "rules" / "../../envs/authxai.yaml").resolve() == REPO / "envs" / "authxai.yaml"


@pytest.mark.workflow
def test_snakemake_lint_is_clean(tmp_path):
    work = make_workdir(tmp_path / "lint", TINY_CONFIG)
    out = run_snakemake(work, "--lint")
    assert "Congratulations, your workflow is in a good condition!" in out.stdout + out.stderr


@pytest.mark.workflow
def test_jobs_import_authxai_from_the_workflows_source_tree(tmp_path):
    """An environment with every dependency but without authxai — what a conda env built from
    envs/authxai.yaml, a container or a cluster node's venv is — runs the workflow: the Snakefile
    puts its own src/ on the path of the parse and of every job."""
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=False)
    site = Path(sysconfig.get_paths(vars={"base": str(env_dir), "platbase": str(env_dir)})["purelib"])
    # This venv's packages as a plain path entry: the .pth files there (among them the editable
    # authxai install) are not processed, so authxai is not importable from this environment.
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    python = env_dir / "bin" / "python"
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"MPLBACKEND": "Agg"}
    probe = subprocess.run([python, "-c", "import authxai"], capture_output=True, text=True, env=clean, cwd=tmp_path)
    assert probe.returncode != 0 and "No module named 'authxai'" in probe.stderr
    work = make_workdir(tmp_path / "work", TINY_CONFIG)
    cmd = [python, "-m", "snakemake", "--snakefile", REPO / "Snakefile", "--directory", work, "--cores", "2"]
    proc = subprocess.run(
        [*map(str, cmd), "results/tables/psychometrics.csv"], capture_output=True, text=True, env=clean, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = (work / "results" / "logs" / "psychometrics.log").read_text()
    assert "rule psychometrics finished" in log


@pytest.mark.workflow
def test_usable_as_a_snakemake_module(tmp_path):
    """Another workflow pulls this one in with `module` (the catalog's way, snakedeploy) and
    builds one figure: captions and src/ are found from this workflow's folder, not the outer
    one's."""
    outer = make_workdir(tmp_path / "outer", TINY_CONFIG)
    (outer / "Snakefile").write_text(
        'configfile: "config/config.yaml"\n\n\n'
        f'module authxai:\n    snakefile:\n        "{REPO / "Snakefile"}"\n    config:\n        config\n\n\n'
        "use rule * from authxai as authxai_*\n"
    )
    figure = "results/figures/figA1_kept_vs_removed.png"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    cmd = [str(SNAKEMAKE), "--cores", "2", figure]
    proc = subprocess.run(cmd, cwd=outer, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (outer / figure).stat().st_size > 0
    assert "authxai_psychometrics" in proc.stderr and "authxai_figure" in proc.stderr
