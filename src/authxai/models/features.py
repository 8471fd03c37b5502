"""Image loading, preprocessing, and the per-architecture feature cache.

``results/features/{arch}.safetensors`` holds, for every kept image: the trunk activation at
the target layer (``act``), the tail's extra input (``aux``, ResNet/DenseNet), and the pooled
embedding computed from the stored activations (``embedding``), so that heads trained on it and
SBS pruning from the cached activations see identical inputs. Everything is float32: float16
ends at 65,504, which the activations of a ResNet-152 can pass (every value became inf, the
embedding NaN), and its rounding made the cache differ from the live trunk that attributions
run. The paper's six backbones take ~4 GB of cache in all on 1,368 images.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from authxai.data.adapters import open_rgb
from authxai.data.geometry import resize_and_crop
from authxai.errors import fail, require_finite
from authxai.models.backbones import build_backbone, get_spec, on_device, split_backbone
from authxai.models.layout import channels_last
from authxai.tables import atomic_write, provenance

log = logging.getLogger(__name__)
#: What to check when a backbone's numbers are not finite.
WEIGHTS_FIX = "check models.weights.{arch} (a checkpoint of this architecture with its BatchNorm statistics)"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def normalize(image: Image.Image) -> torch.Tensor:
    """ImageNet-normalized (3, H, W) float32 tensor of an RGB image."""
    import torchvision.transforms.functional as TF

    return TF.normalize(TF.to_tensor(image), IMAGENET_MEAN, IMAGENET_STD)


def model_input(image: Image.Image | np.ndarray, resize: int = 256, crop: int = 224) -> torch.Tensor:
    """Pixels as the models take them: resize (shorter side), center crop, ImageNet-normalize
    -> (3, crop, crop) float32. ``image`` is an RGB image or a uint8 (H, W, 3) array (an image
    rendered in memory, such as a counterfactual of the planted-cue study)."""
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    return normalize(resize_and_crop(image, resize, crop))


def load_image(path: str | Path, resize: int = 256, crop: int = 224) -> torch.Tensor:
    """:func:`model_input` of an image file (one-line errors as :func:`authxai.data.geometry.model_view`)."""
    return model_input(open_rgb(path), resize, crop)


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
    """Trunk activations, tail aux and embeddings (float32) for every image, batched.

    Stops with one line naming the architecture if any value is NaN or infinite.
    """
    device = device or torch.device("cpu")
    model = on_device(build_backbone(arch, weights), device)
    trunk, tail = split_backbone(channels_last(model), arch)
    layer = get_spec(arch).target_layer
    acts, auxs, embs = [], [], []
    start = time.perf_counter()
    for lo in range(0, len(paths), batch_size):
        x = load_images(paths[lo : lo + batch_size], resize, crop).to(device)
        out = trunk(x)
        act = out.act.float()
        aux = None if out.aux is None else out.aux.float()
        emb = tail(act, aux).float()
        for name, values in (("activations", act), ("tail input", aux), ("embeddings", emb)):
            if values is not None:
                require_finite(values, f"{arch} features ({name} at {layer})", WEIGHTS_FIX.format(arch=arch))
        embs.append(emb.cpu())
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

    meta = {
        "image_ids": json.dumps(list(image_ids)),
        "arch": arch,
        "provenance": json.dumps(provenance(config), default=str),
    }
    with atomic_write(path) as tmp:
        save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp), metadata=meta)


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
