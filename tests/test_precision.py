"""Trunk precision and CPU capability: fp32 by default, bf16 only where the CPU computes it
natively, and both recorded in every output's provenance. An AVX2-only CPU is emulated on any
x86 machine with ATen's and oneDNN's own switches (a subprocess: they are read at start-up)."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from authxai import precision
from authxai.tables import read_provenance, write_parquet

#: What an AVX2-only CPU (many AMD EPYC nodes, most laptops) gives torch.
AVX2_ONLY = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
LIME = {"n_segments": 12, "num_samples": 24, "seed": 0, "batch_size": 24, "shared_samples": True}


def tiny_lime_maps(requested: str) -> np.ndarray:
    """LIME maps (one row per variant) of two random-init Lite0 variants on a 48-px image, the
    trunk asked to run at ``requested``."""
    from authxai.attribution.pipeline import explain_variants
    from authxai.attribution.variants import SharedTrunkVariants
    from authxai.models.backbones import build_backbone, split_backbone
    from authxai.models.heads import RegressionHead

    torch.manual_seed(0)
    trunk, tail = split_backbone(build_backbone("random_lite0"), "random_lite0")
    heads = [RegressionHead(1280, (16,)).eval() for _ in range(2)]
    variants = SharedTrunkVariants(trunk, tail, heads, precision=requested, label="lime").eval()
    image = torch.randn(3, 48, 48, generator=torch.Generator().manual_seed(1))
    return np.stack([row["map"] for row in explain_variants("lime", variants, image, LIME)])


def _run_emulated(tmp_path) -> tuple[dict, str]:
    """This file as a script under the AVX2-only emulation: its JSON report and its stderr."""
    env = {**os.environ, **AVX2_ONLY}
    proc = subprocess.run(
        [sys.executable, __file__, str(tmp_path / "t.parquet")], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr


def test_provenance_records_cpu_capability_and_the_precision_each_trunk_ran_at(tmp_path):
    tiny_lime_maps("fp32")
    record = read_provenance(write_parquet(pd.DataFrame({"a": [1]}), tmp_path / "x.parquet"))
    assert record["cpu_capability"] == torch.backends.cpu.get_cpu_capability() != precision.NOT_USED
    assert record["cpu_native_bf16"] in (True, False)
    assert record["precision"]["lime"] == "fp32"


def test_a_job_without_torch_records_not_used(tmp_path):
    code = (
        "import sys, pandas as pd; from authxai.tables import write_parquet, read_provenance; "
        f"p = write_parquet(pd.DataFrame({{'a': [1]}}), {str(tmp_path / 'y.parquet')!r}); "
        "r = read_provenance(p); assert 'torch' not in sys.modules; "
        "print(r['cpu_capability'], r['cpu_native_bf16'], r['precision'], sep='|')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "not used|not used|not used"


def test_avx2_emulation_gives_the_default_fp32_maps_and_bf16_falls_back_to_fp32_in_one_line(tmp_path):
    emulated, stderr = _run_emulated(tmp_path)
    assert emulated["capability"] == "AVX2" and emulated["native_bf16"] is False
    reference = tiny_lime_maps("fp32")  # this machine's own kernels
    scale = np.abs(reference).max()
    for requested in ("fp32", "bf16"):  # bf16 asked for on AVX2: fp32 numbers
        np.testing.assert_allclose(np.asarray(emulated[requested]), reference, rtol=1e-5, atol=1e-5 * scale)
    lines = [line for line in stderr.splitlines() if "bf16 requested" in line]
    assert len(lines) == 1 and "running fp32" in lines[0] and "AVX2" in lines[0], stderr
    assert emulated["provenance"]["precision"] == {"lime": "fp32"}
    assert emulated["provenance"]["cpu_capability"] == "AVX2"


def test_bf16_runs_where_the_cpu_has_it_and_fp32_is_the_default():
    if precision.native_cpu_bf16() is not True:
        pytest.skip(f"this CPU ({precision.cpu_capability()}) has no native bf16")
    assert precision.trunk_precision("bf16", "cpu", "lime") == "bf16"
    assert precision.trunk_precision("fp32", "cpu", "lime") == "fp32"


if __name__ == "__main__":  # the emulated run of the AVX2 test: maps and provenance as JSON
    maps = {requested: tiny_lime_maps(requested).tolist() for requested in ("fp32", "bf16")}
    record = read_provenance(write_parquet(pd.DataFrame({"a": [1]}), sys.argv[1]))
    report = {"capability": precision.cpu_capability(), "native_bf16": precision.native_cpu_bf16()}
    print(json.dumps({**maps, **report, "provenance": record}))


def test_machine_line_names_the_cpu_capability():
    import torch

    from authxai.precision import machine_line

    line = machine_line()
    assert f"CPU capability {torch.backends.cpu.get_cpu_capability()}" in line and "cores" in line
