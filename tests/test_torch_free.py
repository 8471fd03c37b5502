"""The jobs that only read tables and maps import no torch (docs/performance.md: importing it costs
every one of them seconds), and the packages they go through stay torch-free; checked in fresh
interpreters through ``sys.modules``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "workflow" / "scripts"

#: The jobs that run a backbone or a regression head, and so import torch (script -> what it runs).
RUN_MODELS = {
    "attribute": "the attribution methods",
    "counterfactual": "the variants on counterfactual renderings",
    "evaluate": "the heads on cached features",
    "extract_features": "the backbones",
    "faithfulness": "the variants on deleted pixels",
    "predict_variants": "the pruned variants",
    "prune": "SBS pruning through the tail",
    "sanity": "the randomization cascade",
    "table_pruning": "the unpruned and pruned heads on cached features",
    "train_head": "head training",
}

TORCH_FREE = sorted(p.stem for p in SCRIPTS.glob("*.py") if p.stem not in RUN_MODELS)

#: Runs each script's module level (its imports; ``run_script`` stubbed, so no job runs) in
#: turn and prints the first one after which torch is loaded (null: none). One interpreter for
#: all of them: torch cannot be unloaded, so the first offender is the one to name.
_CHILD = """
import json, runpy, sys
import authxai.workflow
authxai.workflow.run_script = lambda main, smk: None
first = None
for path in sys.argv[1:]:
    runpy.run_path(path, init_globals={"snakemake": None}, run_name="job")
    if "torch" in sys.modules:
        first = path
        break
print(json.dumps(first))
"""


def _first_importing_torch(paths: list[str]) -> str | None:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, *paths], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _imports_torch(code: str) -> bool:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('torch' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()[-1] == "True"


def test_every_table_figure_and_reading_job_imports_no_torch():
    assert {"figure", "table_counterfactual", "counterfactual_agreement", "explorer"} <= set(TORCH_FREE)
    assert all(name in TORCH_FREE for name in (p.stem for p in SCRIPTS.glob("table_*.py")) if name not in RUN_MODELS)
    first = _first_importing_torch([str(SCRIPTS / f"{name}.py") for name in TORCH_FREE])
    assert first is None, f"{first} imports torch"


@pytest.mark.parametrize(
    "module",
    ["authxai.attribution", "authxai.models.backbones", "authxai.config", "authxai.counterfactual", "authxai.figures"],
)
def test_modules_the_light_jobs_read_import_no_torch(module):
    assert not _imports_torch(f"import {module}")


def test_backbone_registry_labels_without_torch():
    code = "from authxai.models.backbones import REGISTRY, arch_label, control_archs; arch_label('efficientnet_lite0')"
    assert not _imports_torch(code)
    assert _imports_torch("from authxai.models.backbones import build_backbone")


def test_attribution_gives_the_functions_lazily():
    code = "import authxai.attribution as a; assert 'gradcam' in dir(a)"
    assert not _imports_torch(code)
    # whether or not the submodules were imported first, the names are the functions
    import authxai.attribution.mpm  # noqa: F401 (binds the submodule on the package first)
    from authxai.attribution import gradcam, lime, mpm
    from authxai.attribution.gradcam import gradcam as gradcam_function
    from authxai.attribution.lime import lime as lime_function
    from authxai.attribution.mpm import mpm as mpm_function

    assert (gradcam, lime, mpm) == (gradcam_function, lime_function, mpm_function)
    assert all(callable(f) and f.__name__ == name for f, name in zip((gradcam, lime, mpm), ("gradcam", "lime", "mpm")))
