"""The conda environment of the rules pins what requirements.txt pins, and the workflow lints clean."""

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from lockcheck import lock_requirements
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import REPO, SNAKEMAKE, TINY_CONFIG, make_workdir, run_snakemake


def _names(requirements) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def test_conda_env_pins_the_locked_runtime_dependencies():
    locked = lock_requirements((REPO / "requirements.txt").read_text())
    lock = {canonicalize_name(r.name): str(r.specifier) for r in locked}
    env = yaml.safe_load((REPO / "envs" / "authxai.yaml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pinned = {canonicalize_name(Requirement(r).name): str(Requirement(r).specifier) for r in pip}
    assert len(pinned) >= 15
    assert {k: lock.get(k) for k in pinned} == pinned
    # every runtime dependency of the package is in the env (snakemake runs the env, not in it);
    # the test oracles (captum, lime, quantus) are not
    runtime = _names(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"])
    assert {k for k in runtime if not k.startswith("snakemake")} == set(pinned)
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


def _outer_workflow(tmp_path: Path, snakefile: str) -> Path:
    """A working directory with the tiny config whose Snakefile uses this workflow as the module
    ``authxai`` from ``snakefile`` (a Snakefile source expression) with every rule prefixed."""
    outer = make_workdir(tmp_path / "outer", TINY_CONFIG)
    (outer / "Snakefile").write_text(
        'configfile: "config/config.yaml"\n\n\n'
        f"module authxai:\n    snakefile:\n        {snakefile}\n    config:\n        config\n\n\n"
        "use rule * from authxai as authxai_*\n"
    )
    return outer


@pytest.mark.workflow
def test_usable_as_a_snakemake_module(tmp_path):
    """Another workflow pulls this one in with `module` (the catalog's way, snakedeploy) and
    builds one figure: src/ (and with it the captions) is found from this workflow's folder, not
    the outer one's."""
    outer = _outer_workflow(tmp_path, f'"{REPO / "Snakefile"}"')
    figure = "results/figures/figA1_kept_vs_removed.png"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    cmd = [str(SNAKEMAKE), "--cores", "2", figure]
    proc = subprocess.run(cmd, cwd=outer, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (outer / figure).stat().st_size > 0
    assert "authxai_psychometrics" in proc.stderr and "authxai_figure" in proc.stderr


def _git_copy(repo: Path, dest: Path) -> str:
    """A git repository at ``dest`` holding this checkout's files (tracked and new, not
    ignored), committed; returns the commit."""
    files = (
        subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=repo, capture_output=True, check=True
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, files):
        if (repo / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(repo / name, dest / name)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "copy"]):
        subprocess.run([*git, *args], cwd=dest, check=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=dest, capture_output=True, text=True).stdout.strip()


@pytest.mark.workflow
def test_usable_as_a_module_from_github(tmp_path):
    """`module ... snakefile: github(...)`, offline: Snakemake keeps a bare clone of the
    repository in its source cache and, for a commit it already holds, fetches nothing — so the
    clone is put there (XDG_CACHE_HOME in tmp) and the real github() source runs. The basedir is
    then a URL (https://raw.githubusercontent.com/...): no src/ folder to put on sys.path, the
    rule files, scripts and env file come through the source cache, and authxai from the
    installed package (here this checkout's src/ on PYTHONPATH); without one, one line."""
    commit = _git_copy(REPO, tmp_path / "source")
    cache = tmp_path / "cache"
    clone = cache / "snakemake" / "snakemake" / "source-cache" / "snakemake-git-cache" / "github.com" / "lab"
    clone.mkdir(parents=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(tmp_path / "source"), str(clone / "authxai")], check=True)
    outer = _outer_workflow(tmp_path, f'github("lab/authxai", path="Snakefile", commit="{commit}")')
    target = "results/tables/psychometrics.csv"
    cmd = [str(SNAKEMAKE), "--cores", "2", target]
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(REPO / "src"), "XDG_CACHE_HOME": str(cache)}
    proc = subprocess.run(cmd, cwd=outer, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (outer / target).stat().st_size > 0 and "authxai_psychometrics" in proc.stderr
    # the report's texts and captions are found in the repository (not joined onto its URL)
    report = subprocess.run([*cmd, "--report", "report.html"], cwd=outer, capture_output=True, text=True, env=env)
    assert report.returncode == 0 and (outer / "report.html").stat().st_size > 0, report.stderr[-3000:]
    # an environment where `import authxai` fails (a stand-in package that raises on import)
    shadow = tmp_path / "shadow" / "authxai"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ImportError("no authxai here")\n')
    env["PYTHONPATH"] = str(shadow.parent)
    proc = subprocess.run([*cmd, "-n"], cwd=outer, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode != 0
    (line,) = [line for line in proc.stderr.splitlines() if line.startswith("authxai:")]
    assert "source tree (https://raw.githubusercontent.com/lab/authxai/" in line and "pip install authxai" in line


def test_the_workflow_catalog_file_says_what_the_workflow_does():
    """.snakemake-workflow-catalog.yml (the Snakemake workflow catalog's usage section) claims
    conda and the report, which the workflow has: every rule names the env file, the Snakefile
    declares a report; no container image, so no apptainer."""
    catalog = yaml.safe_load((REPO / ".snakemake-workflow-catalog.yml").read_text())
    usage = catalog["usage"]
    assert set(usage) == {"mandatory-flags", "software-stack-deployment"}
    assert set(usage["mandatory-flags"]) == {"desc", "flags"}
    stack = usage["software-stack-deployment"]
    assert stack == {"conda": True, "apptainer": False, "apptainer+conda": False, "report": True}
    snakefile = (REPO / "Snakefile").read_text()
    assert "\nreport: " in snakefile and "container:" not in snakefile
    assert (REPO / "envs" / "authxai.yaml").is_file() and (REPO / "config" / "README.md").is_file()
