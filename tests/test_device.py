"""Which device a job runs on (``models.device``), tested on a CPU by pretending to have CUDA or
Apple's MPS: ``auto`` picks CUDA, then MPS, then the CPU and says which in the log (warning where
a scheduler granted a GPU torch cannot use); ``cuda``/``mps`` without that device stop the job,
not the parser, with one line naming the setting; precision stays fp32 on MPS unless bf16 is
asked for and the device holds it; the workstation profile limits concurrent GPU jobs."""

from __future__ import annotations

import copy
import logging
import re
import subprocess
import textwrap

import pytest
import torch
import yaml

from authxai import precision
from authxai.config import validate_config
from authxai.errors import InputError
from authxai.models.backbones import device as devices
from authxai.models.backbones import pick_device
from authxai.plan import build_plan
from conftest import REPO, SNAKEMAKE, TINY_CONFIG, make_workdir, run_snakemake, write_table_dataset


@pytest.fixture
def machine(monkeypatch):
    """A machine with the devices the test sets (``machine(cuda=True)``), and no scheduler's
    GPU variables unless the test sets them."""
    for name in devices.GPU_ALLOCATION_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def have(cuda: bool = False, mps: bool = False) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Pretend GPU")
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)

    return have


def _messages(caplog, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level and r.name == "authxai"]


@pytest.mark.parametrize(
    ("cuda", "mps", "picked", "says"),
    [
        (True, True, "cuda", "using CUDA (Pretend GPU)"),
        (False, True, "mps", "using Apple MPS"),
        (False, False, "cpu", "using the CPU"),
    ],
)
def test_auto_picks_cuda_then_mps_then_cpu_and_logs_it(machine, caplog, cuda, mps, picked, says):
    machine(cuda=cuda, mps=mps)
    with caplog.at_level(logging.INFO, logger="authxai"):
        assert pick_device("auto") == torch.device(picked)
    assert any(says in m for m in _messages(caplog, logging.INFO)), caplog.text
    assert not _messages(caplog, logging.WARNING)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("SLURM_JOB_GPUS", "0"), ("CUDA_VISIBLE_DEVICES", "0,1"), ("CUDA_VISIBLE_DEVICES", "GPU-3f")],
)
def test_auto_warns_when_given_a_gpu_it_cannot_use(machine, caplog, monkeypatch, variable, value):
    machine(cuda=False)
    monkeypatch.setenv(variable, value)
    with caplog.at_level(logging.INFO, logger="authxai"):
        assert pick_device("auto") == torch.device("cpu")
    (warning,) = _messages(caplog, logging.WARNING)
    assert f"{variable}={value}" in warning and "cannot use CUDA" in warning and "CPU" in warning
    assert "\n" not in warning


@pytest.mark.parametrize("value", ["", "-1", "NoDevFiles"])
def test_variables_that_hide_every_gpu_grant_none(machine, caplog, monkeypatch, value):
    machine(cuda=False)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", value)
    with caplog.at_level(logging.INFO, logger="authxai"):
        assert pick_device("auto") == torch.device("cpu")
    assert not _messages(caplog, logging.WARNING)


def test_auto_with_a_granted_gpu_that_works_does_not_warn(machine, caplog, monkeypatch):
    machine(cuda=True)
    monkeypatch.setenv("SLURM_JOB_GPUS", "3")
    with caplog.at_level(logging.INFO, logger="authxai"):
        assert pick_device("auto").type == "cuda"
    assert not _messages(caplog, logging.WARNING)


@pytest.mark.parametrize("asked", ["cuda", "mps"])
def test_a_device_that_is_not_there_stops_with_one_line(machine, asked):
    machine(cuda=False, mps=False)
    with pytest.raises(InputError) as err:
        pick_device(asked)
    line = str(err.value)
    assert "\n" not in line
    assert f"'models.device' = '{asked}'" in line
    assert "models.device: auto" in line and "cpu" in line  # the fix


@pytest.mark.parametrize(("asked", "cuda", "mps"), [("cuda", True, False), ("mps", False, True), ("cpu", False, False)])
def test_a_device_that_is_there_is_used(machine, asked, cuda, mps):
    machine(cuda=cuda, mps=mps)
    assert pick_device(asked) == torch.device(asked)


def test_this_cpu_only_torch_has_no_mps():
    """The real checks (no monkeypatching) on the test machine: a CPU-only torch."""
    assert not devices.mps_available()
    assert precision.mps_bf16() is False


def test_every_job_that_reads_models_device_asks_pick_device():
    """The check and the log line live in pick_device: no script builds its device by hand."""
    scripts = sorted((REPO / "workflow" / "scripts").glob("*.py"))
    readers = [s for s in scripts if "params.device" in s.read_text()]
    assert len(readers) >= 5, readers  # features, the attribution methods, sanity, faithfulness, counterfactual
    for script in readers:
        text = script.read_text()
        assert "pick_device(smk.params.device)" in text, script.name
        assert not re.search(r"torch\.device\(\s*smk\.params", text), script.name


def test_schema_accepts_mps_and_a_non_cpu_device_asks_for_a_gpu():
    config = copy.deepcopy(TINY_CONFIG)
    for device, gpus in (("mps", 1), ("cuda", 1), ("auto", 1), ("cpu", 0)):
        config["models"]["device"] = device
        assert validate_config(copy.deepcopy(config))["models"]["device"] == device
        assert build_plan(config).gpu == gpus, device
    config["models"]["device"] = "gpu"
    with pytest.raises(InputError, match="models.device"):
        validate_config(config)


@pytest.mark.parametrize(("supported", "runs"), [(True, "bf16"), (False, "fp32")])
def test_precision_on_mps(monkeypatch, caplog, supported, runs):
    monkeypatch.setattr(precision, "_told", set())
    monkeypatch.setattr(precision, "mps_bf16", lambda: supported)
    assert precision.trunk_precision("fp32", "mps", "lime") == "fp32"  # the default
    with caplog.at_level(logging.WARNING, logger="authxai"):
        assert precision.trunk_precision("bf16", "mps", "lime") == runs
    warnings = _messages(caplog, logging.WARNING)
    if supported:
        assert not warnings
    else:
        assert warnings == ["lime: bf16 requested, running fp32: this mps device has no bf16"]


def test_workstation_profile_runs_one_gpu_job_at_a_time(tmp_path):
    """Three jobs that each declare gpu=1, on 3 cores: the profile's limit runs them one after
    another, and --resources gpu=N on the command line wins over it."""
    profile = REPO / "profiles" / "workstation"
    assert yaml.safe_load((profile / "config.yaml").read_text())["resources"] == {"gpu": 1}
    (tmp_path / "Snakefile").write_text(
        textwrap.dedent(
            """
            rule all:
                input: expand("t{i}.txt", i=range(3))

            rule gpu_job:
                output: "t{i}.txt"
                resources: gpu=1
                shell: "date +%s.%N > {output}; sleep 1; date +%s.%N >> {output}"
            """
        )
    )

    def spans(*args: str) -> list[tuple[float, float]]:
        for old in tmp_path.glob("t*.txt"):
            old.unlink()
        cmd = [str(SNAKEMAKE), "--directory", str(tmp_path), "--snakefile", str(tmp_path / "Snakefile")]
        subprocess.run([*cmd, "--cores", "3", "--profile", str(profile), *args], check=True, capture_output=True)
        return sorted(tuple(map(float, (tmp_path / f"t{i}.txt").read_text().split())) for i in range(3))

    one = spans()
    assert all(prev[1] <= nxt[0] for prev, nxt in zip(one, one[1:])), one  # never two at once
    three = spans("--resources", "gpu=3")
    assert max(s for s, _ in three) < min(e for _, e in three), three  # all three overlapped


@pytest.mark.workflow
def test_device_cuda_without_cuda_fails_the_job_not_the_parser(tmp_path):
    """`models.device: cuda` parses (a login node has no GPU either) and stops the first job
    that runs a backbone, on this CPU-only machine, with the one line."""
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    work = tmp_path / "work"
    work.mkdir()
    dataset = write_table_dataset(work / "lab", n_images=30)
    models = {"archs": ["efficientnet_lite0"], "resize": 32, "crop": 32, "device": "cuda"}
    make_workdir(work, {"dataset": dataset, "models": models})
    target = "results/features/efficientnet_lite0.safetensors"
    dry = run_snakemake(work, "-n", target)  # the parser accepts it
    assert "extract_features" in dry.stdout
    proc = run_snakemake(work, target, check=False, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "Traceback" not in out, out[-3000:]
    lines = [ln for ln in out.splitlines() if "'models.device' = 'cuda'" in ln]
    assert len(lines) == 1, out[-3000:]
    assert "models.device: auto" in lines[0] and "finds no CUDA device" in lines[0]
    assert (work / "results" / "data" / "images.parquet").exists()  # the jobs before it ran
    assert not (work / target).exists()
    log = work / "results" / "logs" / "extract_features" / "efficientnet_lite0.log"
    assert "'models.device' = 'cuda'" in log.read_text()


def test_faithfulness_curves_build_their_masks_on_the_images_device():
    """The deletion/insertion masks are ranked on the CPU; on a GPU torch.where needs them on the
    image's device. The meta device stands in for one (a CPU mask fails there the same way)."""
    import numpy as np

    from authxai.faithfulness import perturbed_images

    image = torch.zeros(3, 4, 4, device="meta")
    for mode in ("deletion", "insertion"):
        out = perturbed_images(image, np.arange(16), np.array([0, 8, 16]), mode)
        assert out.device.type == "meta" and out.shape == (3, 3, 4, 4)
