"""The conda environment of the rules pins what requirements.txt pins, and the workflow lints clean."""

import re

import pytest
import yaml

from conftest import REPO, TINY_CONFIG, make_workdir, run_snakemake


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
    assert "python=3.11" in env["dependencies"] and "-e .." in pip


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
