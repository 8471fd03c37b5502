"""The conda environment of the rules pins what requirements.txt pins, and the workflow lints clean."""

import os
import re
import subprocess
import tomllib

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


@pytest.mark.workflow
def test_usable_as_a_snakemake_module(tmp_path):
    """Another workflow pulls this one in with `module` (the catalog's way, snakedeploy) and
    builds one figure: src/ (and with it the captions) is found from this workflow's folder, not
    the outer one's."""
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
