"""Trunk precision: bf16 only where the hardware computes it natively, and what a process ran at.

Every trunk pass runs fp32 unless a config asks for bf16 (``attribution.precision``). bf16
autocast on a CPU without native bf16 (AVX2 only: many AMD EPYC nodes, most laptops) is
emulated: 20x slower than fp32 there, and the maps move with the precision. Such a request runs
fp32 instead, says so in one line (log and stderr, once per process and method), and the
precision actually used is recorded (:func:`used`) for every output's provenance
(:func:`authxai.tables.provenance`), beside the CPU's capability (:func:`cpu_capability`).

Nothing here imports torch: a job that has not loaded it (a table-only job) records
:data:`NOT_USED`.
"""

from __future__ import annotations

import logging
import sys

log = logging.getLogger("authxai")

#: What the provenance says where a job never loaded torch (no trunk ran, no CPU kernel chosen).
NOT_USED = "not used"
#: ATen CPU capabilities (``torch.backends.cpu.get_cpu_capability()``) whose bf16 is emulated in
#: fp32 arithmetic: x86 below AVX-512. torch 2.14 reports "NO AVX", "AVX2", "AVX512" on x86
#: ("AVX512" whether or not the AVX512_BF16/AMX extensions are there: oneDNN says that).
EMULATED_BF16_CAPABILITIES = ("NO AVX", "AVX2")

_used: dict[str, str] = {}
_told: set[tuple[str, str]] = set()


def _torch():
    """torch if this process has imported it, else None (importing it costs seconds)."""
    return sys.modules.get("torch")


def cpu_capability() -> str:
    """ATen's CPU kernel capability in this process (e.g. "AVX2", "AVX512"; set lower with the
    environment variable ``ATEN_CPU_CAPABILITY``), or :data:`NOT_USED` without torch loaded."""
    torch = _torch()
    return str(torch.backends.cpu.get_cpu_capability()) if torch is not None else NOT_USED


def native_cpu_bf16() -> bool | str:
    """Whether this CPU computes bf16 natively: ATen's kernels at AVX-512 or above and oneDNN's
    bf16 path available (it honours ``ONEDNN_MAX_CPU_ISA``, e.g. AVX2 turns it off);
    :data:`NOT_USED` without torch loaded."""
    torch = _torch()
    if torch is None:
        return NOT_USED
    return cpu_capability() not in EMULATED_BF16_CAPABILITIES and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def mps_bf16() -> bool:
    """Whether Apple's MPS device holds bf16 tensors (macOS 14 and later; earlier ones raise):
    asked by making one, as torch has no query for it."""
    torch = _torch()
    if torch is None:
        return False
    try:
        torch.zeros(1, dtype=torch.bfloat16, device="mps")
    except (RuntimeError, TypeError):
        return False
    return True


def trunk_precision(requested: str, device_type: str, what: str = "trunk") -> str:
    """The precision a trunk asked to run at ``requested`` on a ``device_type`` ("cpu", "cuda",
    "mps") does run at: fp32 unless bf16 is asked for (the default everywhere, Apple's MPS
    included); bf16 on a CPU without native bf16 (:func:`native_cpu_bf16`), a CUDA GPU without
    bf16 or an MPS device without it (:func:`mps_bf16`) runs fp32, and says so once per
    process for each ``what`` (a method)."""
    if requested != "bf16":
        return requested
    torch = _torch()
    if device_type == "cpu":
        native = native_cpu_bf16() is True
    elif device_type == "cuda" and torch is not None:
        native = bool(torch.cuda.is_bf16_supported())
    elif device_type == "mps" and torch is not None:
        native = mps_bf16()
    else:
        native = True
    if native:
        return requested
    if (what, device_type) not in _told:
        _told.add((what, device_type))
        if device_type == "cpu":
            where = f"CPU capability {cpu_capability()} has no native bf16 (emulated: ~20x slower)"
        else:
            where = f"this {device_type} device has no bf16"
        log.warning("%s: bf16 requested, running fp32: %s", what, where)
    return "fp32"


def record(what: str, precision: str) -> None:
    """Note that a trunk labelled ``what`` ran at ``precision`` in this process."""
    seen = _used.get(what)
    if seen is None or precision not in seen.split("+"):
        _used[what] = precision if seen is None else f"{seen}+{precision}"


def used() -> dict[str, str] | str:
    """What the trunks of this process ran at, per label (:func:`record`); where none ran
    "fp32" if torch is loaded (every other model pass is fp32), else :data:`NOT_USED`."""
    if _used:
        return dict(_used)
    return "fp32" if _torch() is not None else NOT_USED


#: The environment variables that make torch and oneDNN use fewer CPU instructions than the CPU
#: has: an AVX2-only CPU emulated on a newer one.
EMULATION_VARIABLES = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA")


def emulation() -> str:
    """The CPU-emulation variables set in this environment (``ATEN_CPU_CAPABILITY=avx2 …``), or ""."""
    import os

    return " ".join(f"{name}={os.environ[name]}" for name in EMULATION_VARIABLES if os.environ.get(name))


def machine_line() -> str:
    """One line naming the machine a timing was taken on, for every benchmark's output: the CPU
    model and cores, torch's CPU kernel capability and whether bf16 is native (imports torch)."""
    import os
    import platform
    from pathlib import Path

    import torch

    cpuinfo = Path("/proc/cpuinfo")  # Linux; elsewhere platform's word for the processor
    lines = cpuinfo.read_text().splitlines() if cpuinfo.is_file() else []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    model = names[0] if names else platform.processor() or platform.machine()
    native = "native" if native_cpu_bf16() is True else "emulated (use fp32)"
    emulated = f" (set by {emulation()})" if emulation() else ""
    return (
        f"machine: {model}, {os.cpu_count()} cores; torch {torch.__version__} CPU capability {cpu_capability()}"
        f"{emulated}, "
        f"bf16 {native}; {torch.get_num_threads()} torch threads"
    )
