"""Does the lock (requirements.txt) install on the platforms and Pythons researchers use?

For each target — a platform (Linux x86_64/aarch64 with glibc >= 2.28, macOS arm64 >= 14,
Windows x86_64) and a CPython (3.11, 3.12, 3.13) — pip resolves every lock line whose marker
holds there with ``--platform … --python-version … --only-binary=:all: --no-deps --dry-run``:
each must have a wheel for that platform and Python. pip evaluates a line's marker for the
machine it runs on, not for ``--platform`` (so a Linux pip would ask for NVIDIA's wheels on
macOS): the lines are filtered here with the target's marker environment first. ``--no-deps``
checks the lock's own lines; the closure — every dependency a locked package declares for that
platform and Python is locked, at a version its specifier admits — is checked from the metadata
in pip's report.

Each pip run spends most of its minute or two waiting on the index, so the targets run six at
a time (the 12 took 3.4-4.6 minutes on a loaded 2-core machine).
``python tests/lockcheck.py [PLATFORM ...] [PYTHON ...]`` prints a summary line per target (all
of them by default; e.g. ``windows-amd64 3.13``); tests/test_install.py runs it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

LOCK = Path(__file__).resolve().parents[1] / "requirements.txt"
#: The CPython minor versions pyproject.toml's requires-python admits.
PYTHON_VERSIONS = ("3.11", "3.12", "3.13")
#: Locked packages PyPI has only as source: pure Python, so they build on any platform.
SOURCE_ONLY = ("connection_pool", "lime")


@dataclass(frozen=True)
class Platform:
    """pip's ``--platform`` tags for a platform and the marker values it has."""

    tags: tuple[str, ...]
    markers: dict[str, str]


def _manylinux(arch: str) -> tuple[str, ...]:
    # pip does not widen a given manylinux tag to the older glibc versions it includes: list them.
    # glibc 2.28 is torch's floor (no manylinux2014 torch wheels: CentOS 7's glibc 2.17 is out).
    return (*(f"manylinux_2_{v}_{arch}" for v in range(28, 16, -1)), f"manylinux2014_{arch}")


def _linux(arch: str) -> Platform:
    return Platform(_manylinux(arch), {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": arch})


PLATFORMS = {
    "linux-x86_64": _linux("x86_64"),
    "linux-aarch64": _linux("aarch64"),
    # pip widens a macOS tag to the older macOS versions itself; torch's arm64 wheels need 14.
    "macos-arm64": Platform(
        ("macosx_14_0_arm64",), {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64"}
    ),
    "windows-amd64": Platform(
        ("win_amd64",),
        {"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64", "os_name": "nt"},
    ),
}


@dataclass(frozen=True)
class Target:
    """A platform (a key of :data:`PLATFORMS`) and a CPython minor version."""

    platform: str
    python: str

    def __str__(self) -> str:
        return f"{self.platform}-py{self.python}"


#: Every platform with every Python: the matrix tests/test_install.py checks.
TARGETS = tuple(Target(platform, python) for platform in PLATFORMS for python in PYTHON_VERSIONS)


def select_targets(names: list[str]) -> list[Target]:
    """The targets whose platform and Python are among ``names`` (an axis not named: all of it)."""
    unknown = [n for n in names if n not in PLATFORMS and n not in PYTHON_VERSIONS]
    if unknown:
        raise ValueError(f"unknown platform or Python {unknown}: choose from {[*PLATFORMS, *PYTHON_VERSIONS]}")
    platforms = [n for n in names if n in PLATFORMS] or list(PLATFORMS)
    pythons = [n for n in names if n in PYTHON_VERSIONS] or list(PYTHON_VERSIONS)
    return [t for t in TARGETS if t.platform in platforms and t.python in pythons]


def marker_environment(target: Target) -> dict[str, str]:
    """PEP 508 marker values of CPython ``target.python`` on ``target.platform``. Every key is
    set: packaging fills a missing one from the running interpreter."""
    full_version = f"{target.python}.0"
    return {
        "python_version": target.python,
        "python_full_version": full_version,
        "implementation_name": "cpython",
        "implementation_version": full_version,
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_version": "",
        "os_name": "posix",
        "extra": "",
        **PLATFORMS[target.platform].markers,
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
    cmd += [f"--platform={tag}" for tag in PLATFORMS[target.platform].tags]
    abi = "cp" + target.python.replace(".", "")
    cmd += ["--python-version", target.python, "--implementation", "cp", "--abi", abi]
    cmd += ["--only-binary=:all:", *(f"--no-binary={name}" for name in SOURCE_ONLY)]
    cmd += ["-r", str(workdir / "lock.txt")]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900)


def check_target(target: Target, lock: Path = LOCK) -> tuple[bool, str]:
    """(ok, one summary line) for ``target``."""
    environment = marker_environment(target)
    requirements = lock_requirements(lock.read_text())
    lines = applicable(requirements, environment)
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        proc = resolve(lines, target, Path(tmp))
        if proc.returncode != 0:
            errors = [line for line in proc.stderr.splitlines() if line.startswith("ERROR")]
            return False, f"{target}: pip could not resolve the lock: {' '.join(errors) or proc.stderr[-500:]}"
        report = json.loads((Path(tmp) / "report.json").read_text())
    wheels = sum(item["download_info"]["url"].endswith(".whl") for item in report["install"])
    got = {canonicalize_name(i["metadata"]["name"]): i["metadata"]["version"] for i in report["install"]}
    wrong = [str(r) for r in lines if got.get(canonicalize_name(r.name)) != pinned_version(r)]
    unmet = unmet_dependencies(report, environment)
    ok = not wrong and not unmet
    summary = (
        f"{target}: {len(lines)} of {len(requirements)} lock lines apply, {wheels} wheels + "
        f"{len(report['install']) - wheels} pure-Python sources, "
        f"{'dependencies complete' if not unmet else 'UNMET: ' + '; '.join(unmet)}"
        f"{'' if not wrong else '; NOT AS LOCKED: ' + ', '.join(wrong)} ({time.monotonic() - start:.0f} s)"
    )
    return ok, summary


def check_targets(targets: list[Target], workers: int = 6, lock: Path = LOCK) -> dict[Target, tuple[bool, str]]:
    """:func:`check_target` for each of ``targets``, ``workers`` pip runs at a time (they wait
    on the network, not the CPU)."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(zip(targets, pool.map(lambda target: check_target(target, lock), targets)))


def main(names: list[str]) -> int:
    try:
        targets = select_targets(names)
    except ValueError as error:
        print(f"lockcheck: {error}", file=sys.stderr)
        return 2
    start = time.monotonic()
    results = check_targets(targets)
    for _, line in results.values():
        print(line)
    print(f"{len(results)} targets in {time.monotonic() - start:.0f} s")
    return 0 if all(ok for ok, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
