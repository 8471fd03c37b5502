"""Compile to bytecode the modules the jobs import, once, right after installing.

``make`` installs the requirements with ``pip install --no-compile``: pip would otherwise compile
every module of every package (all of torch, sympy, pandas' own tests: ~50 s of the ~100 s a
fresh ``.venv`` took on 2 cores), and the jobs import a small part of them. Importing what the
package, the workflow scripts and the tests import — at module level or inside a function —
writes the bytecode of exactly those modules (~16 s). Without it, a machine that sets
``PYTHONDONTWRITEBYTECODE`` (CI images do) would recompile them in every job.

    python -m authxai.bytecode src workflow/scripts tests
"""

from __future__ import annotations

import ast
import importlib
import sys
import time
from collections.abc import Iterable
from pathlib import Path

#: What the jobs run inside besides their own imports: Snakemake's command line and the
#: preamble it puts in front of every script.
RUNNERS = ("snakemake.cli", "snakemake.script")


def imported_modules(paths: Iterable[str | Path]) -> list[str]:
    """Every absolute module name imported anywhere in the ``.py`` files under ``paths``
    (``import a.b`` gives ``a.b``; ``from a.b import c`` gives ``a.b``), sorted."""
    modules: set[str] = set()
    for root in map(Path, paths):
        for path in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.Import):
                    modules.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    modules.add(node.module)
    return sorted(modules)


def compile_imports(modules: Iterable[str]) -> tuple[int, list[str]]:
    """Import ``modules`` with bytecode writing on; returns how many imported and the names
    that did not (optional imports, test-local helpers)."""
    sys.dont_write_bytecode = False  # PYTHONDONTWRITEBYTECODE would keep it from being written
    imported, missing = 0, []
    for name in modules:
        try:
            importlib.import_module(name)
            imported += 1
        except ImportError:
            missing.append(name)
    return imported, missing


def main(argv: list[str]) -> None:
    start = time.perf_counter()
    imported, missing = compile_imports([*RUNNERS, *imported_modules(argv)])
    print(
        f"bytecode of {len(sys.modules)} modules ({imported} imported by name) in {time.perf_counter() - start:.0f} s"
        + (f"; not importable here: {', '.join(missing)}" if missing else "")
    )


if __name__ == "__main__":
    main(sys.argv[1:])
