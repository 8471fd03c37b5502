"""Benchmark the start-up of the jobs that only read tables and maps: their imports without
torch (today) against the same imports with torch loaded first, in one run. Torch is what the
figure, table, consistency, localization, ensemble and explorer jobs (~50 in ``make run``)
paid before the attribution package, the method registry and the image geometry stopped
importing it; the data-preparation kinds (synthesize_study, prepare_*, psychometrics) never did.

Every workflow script's imports run in a fresh interpreter (best of ``--repeat``); scripts that
run a model import torch either way and are listed apart.

    .venv/bin/python benchmarks/job_startup.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from pathlib import Path

from authxai.precision import machine_line

SCRIPTS = Path(__file__).resolve().parents[1] / "workflow" / "scripts"


def script_imports(script: Path) -> list[str]:
    """Modules a workflow script imports (absolute ``import``/``from`` statements)."""
    modules = set()
    for node in ast.walk(ast.parse(script.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return sorted(modules)


def import_seconds(modules: list[str], preload: str = "", repeat: int = 3) -> tuple[float, bool]:
    """Best wall time of importing ``modules`` (after ``preload``) in a fresh Python, and
    whether torch ended up imported."""
    code = (
        "import sys, time\n"
        f"start = time.perf_counter()\n{preload}\n"
        f"for m in {modules!r}:\n    __import__(m)\n"
        "print(time.perf_counter() - start, 'torch' in sys.modules)"
    )
    best, torch_loaded = float("inf"), False
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
        best, torch_loaded = min(best, float(out[0])), out[1] == "True"
    return best, torch_loaded


def main() -> None:
    print(machine_line(), flush=True)  # every timing names the CPU it was taken on
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    light, heavy = [], []
    for script in sorted(SCRIPTS.glob("*.py")):
        modules = script_imports(script)
        seconds, torch_loaded = import_seconds(modules, repeat=args.repeat)
        if torch_loaded:
            heavy.append(script.stem)
            continue
        before, _ = import_seconds(modules, preload="import torch", repeat=args.repeat)
        light.append((script.stem, seconds, before))
        print(f"{script.stem:34s} {seconds:5.2f} s without torch, {before:5.2f} s with it", flush=True)
    now, then = sum(s for _, s, _ in light), sum(b for _, _, b in light)
    print(
        f"\n{len(light)} torch-free job kinds: imports {now:.1f} s in all vs {then:.1f} s with torch "
        f"-> {then / now:.2f}x ({(then - now) / len(light):.2f} s saved per job)"
    )
    print(f"{len(heavy)} kinds run a model and import torch: {', '.join(heavy)}")


if __name__ == "__main__":
    main()
