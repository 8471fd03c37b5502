"""Where a backbone runs: the device and the memory layout.

``models.device`` is read inside each job, never by the parser: a cluster's login node, where
the workflow is parsed, has no GPU even when every job gets one. So a device that is not there
stops the *job* with one line (:class:`~authxai.errors.InputError`, turned into that line by
:func:`authxai.workflow.run_script`), and ``auto`` says in the job's log which device it took.
"""

from __future__ import annotations

import logging
import os
import platform

import torch
from torch import nn

from authxai.errors import InputError

log = logging.getLogger("authxai")

#: Environment variables through which a scheduler hands a job its GPUs: SLURM sets both for a
#: job given ``--gpus``; a workstation user may set the first by hand.
GPU_ALLOCATION_VARIABLES = ("CUDA_VISIBLE_DEVICES", "SLURM_JOB_GPUS")
#: Values of those variables that hide every GPU instead of granting one.
NO_GPU_VALUES = ("", "-1", "none", "NoDevFiles")


def on_device(model: nn.Module, device: torch.device | str) -> nn.Module:
    """``model`` on ``device`` in channels-last memory format, the convolutions' fast layout on
    GPUs and on CPUs alike (oneDNN): on 2 CPU cores EfficientNet-Lite trunks run ~1.6x faster,
    EfficientNet-B3 ~1.3x, the other paper backbones 1.0-1.1x. Outputs differ from the default
    layout only by float32 summation order: ~3e-6 of their scale on the Lite nets, up to ~3e-4
    after the 150 layers of ResNet-152."""
    return model.to(device=device, memory_format=torch.channels_last)


def mps_available() -> bool:
    """Whether Apple's Metal GPU (``mps``) can run torch here (Apple silicon, macOS 12.3+, a
    torch built with MPS); False on builds without the MPS backend."""
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def allocated_gpus() -> dict[str, str]:
    """The GPU-allocation variables (:data:`GPU_ALLOCATION_VARIABLES`) that grant this process a
    GPU, with their values: empty where none is set or each hides every GPU."""
    values = {name: os.environ.get(name) for name in GPU_ALLOCATION_VARIABLES}
    return {name: value for name, value in values.items() if value is not None and value.strip() not in NO_GPU_VALUES}


def _absent(preference: str, problem: str) -> InputError:
    """The one line for a device ``models.device`` asks for that this machine lacks."""
    return InputError(
        f"config 'models.device' = {preference!r}: {problem} on this machine ({platform.node()}) — "
        "run the job where that device is (a GPU node: the SLURM profile sends backbone jobs to its "
        "GPU partition), or set models.device: auto (uses it where present, else the CPU) or cpu"
    )


def _auto() -> torch.device:
    """CUDA when present, else Apple's MPS when present, else the CPU; logged, with a warning
    where the job was given a GPU that torch cannot use."""
    if torch.cuda.is_available():
        device = torch.device("cuda")
        log.info("models.device auto: using CUDA (%s)", torch.cuda.get_device_name(device))
        return device
    granted = allocated_gpus()
    if granted:
        given = ", ".join(f"{name}={value}" for name, value in granted.items())
        log.warning(
            "models.device auto: this job was given a GPU (%s) but torch %s cannot use CUDA (a CPU-only "
            "torch build, or no working NVIDIA driver): running on the CPU, much slower",
            given,
            torch.__version__,
        )
    if mps_available():
        log.info("models.device auto: using Apple MPS (no CUDA here)")
        return torch.device("mps")
    log.info("models.device auto: using the CPU (no CUDA or MPS device here)")
    return torch.device("cpu")


def pick_device(preference: str = "auto") -> torch.device:
    """The device ``models.device`` names, checked in the job: ``auto`` is CUDA, else MPS, else
    the CPU (logged; a warning where a scheduler granted a GPU torch cannot use); ``cuda`` or
    ``mps`` where that device is missing raises a one-line :class:`InputError` naming the
    setting and the fix."""
    if preference == "auto":
        return _auto()
    if preference == "cuda" and not torch.cuda.is_available():
        raise _absent(preference, f"torch {torch.__version__} finds no CUDA device")
    if preference == "mps" and not mps_available():
        raise _absent(preference, "torch finds no Apple MPS device")
    return torch.device(preference)
