"""Does the lock (requirements.txt) install on the platforms researchers use?

For each target platform, pip resolves every lock line whose marker holds there with
``--platform … --only-binary=:all: --no-deps --dry-run``: each must have a wheel for that
platform and Python 3.11. pip evaluates a line's marker for the machine it runs on, not for
``--platform`` (so a Linux pip would ask for NVIDIA's wheels on macOS): the lines are filtered
here with the target's marker environment first. ``--no-deps`` checks the lock's own lines; the
closure — every dependency a locked package declares for that platform is locked, at a version
its specifier admits — is checked from the metadata in pip's report.

Run ``python tests/lockcheck.py [target ...]`` for a summary; tests/test_install.py runs it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

LOCK = Path(__file__).resolve().parents[1] / "requirements.txt"
PYTHON_VERSION = "3.11"
#: Locked packages PyPI has only as source: pure Python, so they build on any platform.
SOURCE_ONLY = ("connection_pool", "lime")


@dataclass(frozen=True)
class Target:
    """A platform: pip's ``--platform`` tags for it and the marker values it has."""

    platforms: tuple[str, ...]
    markers: dict[str, str]


def _manylinux(arch: str) -> tuple[str, ...]:
    # pip does not widen a given manylinux tag to the older glibc versions it includes: list them.
    return (*(f"manylinux_2_{v}_{arch}" for v in range(28, 16, -1)), f"manylinux2014_{arch}")


TARGETS = {
    "linux-x86_64": Target(
        _manylinux("x86_64"), {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"}
    ),
    "linux-aarch64": Target(
        _manylinux("aarch64"), {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64"}
    ),
    # pip widens a macOS tag to the older macOS versions itself.
    "macos-arm64": Target(
        ("macosx_14_0_arm64",), {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64"}
    ),
}


def marker_environment(target: Target) -> dict[str, str]:
    """PEP 508 marker values of CPython 3.11 on ``target``."""
    return {
        "python_version": PYTHON_VERSION,
        "python_full_version": f"{PYTHON_VERSION}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "os_name": "posix",
        "extra": "",
        **target.markers,
    }


def lock_requirements(text: str) -> list[Requirement]:
    """The lock's requirement lines (comments and blank lines skipped)."""
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [Requirement(line) for line in lines if line]


def applicable(requirements: list[Requirement], environment: dict[str, str]) -> list[Requirement]:
    """The lines whose marker holds in ``environment``."""
    return [r for r in requirements if r.marker is None or r.marker.evaluate(environment)]


def pinned_version(requirement: Requirement) -> str:
    """The version of an exact ``name==version`` lock line."""
    (spec,) = requirement.specifier
    if spec.operator != "==":
        raise ValueError(f"requirements.txt: {requirement} is not an exact pin (name==version)")
    return spec.version


def unmet_dependencies(report: dict, environment: dict[str, str]) -> list[str]:
    """Dependencies that locked packages declare in ``environment`` and the lock does not
    satisfy, from pip's installation report (its ``metadata.requires_dist``), following extras."""
    installed = {canonicalize_name(item["metadata"]["name"]): item["metadata"] for item in report["install"]}
    unmet: list[str] = []
    todo = [(name, "") for name in installed]
    seen: set[tuple[str, str]] = set()
    while todo:
        name, extra = todo.pop()
        if (name, extra) in seen:
            continue
        seen.add((name, extra))
        for line in installed[name].get("requires_dist") or []:
            req = Requirement(line)
            if req.marker is not None and not req.marker.evaluate({**environment, "extra": extra}):
                continue
            dep = canonicalize_name(req.name)
            if dep not in installed:
                unmet.append(f"{name} needs {req} (not in the lock)")
            elif not req.specifier.contains(installed[dep]["version"], prereleases=True):
                unmet.append(f"{name} needs {req}, the lock has {installed[dep]['version']}")
            else:
                todo.extend((dep, e) for e in (req.extras or {""}))
    return sorted(set(unmet))


def resolve(requirements: list[Requirement], target: Target, workdir: Path) -> subprocess.CompletedProcess:
    """pip's dry-run install of ``requirements`` for ``target``; the report goes to
    ``workdir/report.json``."""
    (workdir / "lock.txt").write_text("\n".join(str(r).split(";")[0].strip() for r in requirements) + "\n")
    cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--no-deps", "--no-cache-dir"]
    cmd += ["--quiet", "--target", str(workdir / "target"), "--report", str(workdir / "report.json")]
    cmd += [f"--platform={p}" for p in target.platforms]
    abi = "cp" + PYTHON_VERSION.replace(".", "")
    cmd += ["--python-version", PYTHON_VERSION, "--implementation", "cp", "--abi", abi]
    cmd += ["--only-binary=:all:", *(f"--no-binary={name}" for name in SOURCE_ONLY)]
    cmd += ["-r", str(workdir / "lock.txt")]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900)


def check_target(name: str, lock: Path = LOCK) -> tuple[bool, str]:
    """(ok, one summary line) for the target called ``name``."""
    target = TARGETS[name]
    environment = marker_environment(target)
    requirements = lock_requirements(lock.read_text())
    lines = applicable(requirements, environment)
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        proc = resolve(lines, target, Path(tmp))
        if proc.returncode != 0:
            errors = [line for line in proc.stderr.splitlines() if line.startswith("ERROR")]
            return False, f"{name}: pip could not resolve the lock: {' '.join(errors) or proc.stderr[-500:]}"
        report = json.loads((Path(tmp) / "report.json").read_text())
    wheels = sum(item["download_info"]["url"].endswith(".whl") for item in report["install"])
    got = {canonicalize_name(i["metadata"]["name"]): i["metadata"]["version"] for i in report["install"]}
    wrong = [str(r) for r in lines if got.get(canonicalize_name(r.name)) != pinned_version(r)]
    unmet = unmet_dependencies(report, environment)
    ok = not wrong and not unmet
    summary = (
        f"{name}: {len(lines)} of {len(requirements)} lock lines apply, {wheels} wheels + "
        f"{len(report['install']) - wheels} pure-Python sources, "
        f"{'dependencies complete' if not unmet else 'UNMET: ' + '; '.join(unmet)}"
        f"{'' if not wrong else '; NOT AS LOCKED: ' + ', '.join(wrong)} ({time.monotonic() - start:.0f} s)"
    )
    return ok, summary


def main(names: list[str]) -> int:
    results = [check_target(name) for name in names or TARGETS]
    for _, line in results:
        print(line)
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
