"""Image loading, preprocessing, and the per-architecture feature cache.

``results/features/{arch}.safetensors`` holds, for every kept image: the trunk activation at
the target layer (``act``, fp16), the tail's extra input (``aux``, fp16, ResNet/DenseNet), and
the pooled embedding computed *from the fp16 activations* (``embedding``, fp32) so that heads
trained on it and SBS pruning from the cached activations see identical inputs.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from authxai.errors import fail
from authxai.models.backbones import build_backbone, split_backbone
from authxai.tables import atomic_path, provenance

log = logging.getLogger(__name__)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def load_image(path: str | Path, resize: int = 256, crop: int = 224) -> torch.Tensor:
    """Resize (shorter side), center crop, ImageNet-normalize -> (3, crop, crop) float32."""
    import torchvision.transforms.functional as TF

    try:
        with Image.open(path) as im:
            img = im.convert("RGB")
    except (OSError, SyntaxError) as exc:
        raise fail(path, f"cannot read image ({type(exc).__name__})", "replace the file") from exc
    img = TF.center_crop(TF.resize(img, resize, antialias=True), crop)
    return TF.normalize(TF.to_tensor(img), IMAGENET_MEAN, IMAGENET_STD)


def load_images(paths: list[Path], resize: int, crop: int) -> torch.Tensor:
    """Stack of :func:`load_image` for ``paths``."""
    return torch.stack([load_image(p, resize, crop) for p in paths])


@torch.no_grad()
def extract_features(
    arch: str,
    paths: list[Path],
    image_ids: list[str],
    resize: int = 256,
    crop: int = 224,
    batch_size: int = 32,
    weights: str | None = None,
    device: torch.device | None = None,
) -> dict[str, torch.Tensor]:
    """Trunk activations (fp16), tail aux (fp16) and embeddings for every image, batched."""
    device = device or torch.device("cpu")
    model = build_backbone(arch, weights).to(device)
    if device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    trunk, tail = split_backbone(model, arch)
    acts, auxs, embs = [], [], []
    start = time.perf_counter()
    for lo in range(0, len(paths), batch_size):
        x = load_images(paths[lo : lo + batch_size], resize, crop).to(device)
        out = trunk(x)
        act = out.act.half()
        aux = None if out.aux is None else out.aux.half()
        embs.append(tail(act.float(), None if aux is None else aux.float()).float().cpu())
        acts.append(act.cpu())
        if aux is not None:
            auxs.append(aux.cpu())
        done = min(lo + batch_size, len(paths))
        log.info("%s: %d/%d images (%.1f images/s)", arch, done, len(paths), done / (time.perf_counter() - start))
    tensors = {"act": torch.cat(acts), "embedding": torch.cat(embs)}
    if auxs:
        tensors["aux"] = torch.cat(auxs)
    return tensors


def save_features(
    tensors: dict[str, torch.Tensor], image_ids: list[str], path: str | Path, arch: str, config: dict | None = None
) -> None:
    """Write the cache atomically with image ids, arch and provenance in the metadata."""
    from safetensors.torch import save_file

    target, tmp = atomic_path(path)
    meta = {
        "image_ids": json.dumps(list(image_ids)),
        "arch": arch,
        "provenance": json.dumps(provenance(config), default=str),
    }
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp), metadata=meta)
    os.replace(tmp, target)


def load_features(
    path: str | Path, keys: tuple[str, ...] | None = None
) -> tuple[dict[str, torch.Tensor], list[str], dict]:
    """(tensors, image_ids, metadata) of a feature cache; one-line error if unreadable.

    ``keys`` limits what is read (e.g. only the embeddings for head training).
    """
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as fh:
            meta = fh.metadata()
            tensors = {k: fh.get_tensor(k) for k in fh.keys() if keys is None or k in keys}
    except Exception as exc:  # safetensors raises its own error types
        raise fail(
            path, f"unreadable feature cache ({type(exc).__name__})", "delete it and rerun extract_features"
        ) from exc
    return tensors, json.loads(meta["image_ids"]), meta


def rows_for(ids: list[str], wanted: list[str] | np.ndarray) -> np.ndarray:
    """Row indices of ``wanted`` ids in a cache's id list."""
    index = {iid: i for i, iid in enumerate(ids)}
    return np.array([index[w] for w in wanted], dtype=np.int64)
