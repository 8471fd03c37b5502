"""Faithfulness of attribution maps for scalar outputs: deletion and insertion curves.

A map is faithful when the pixels it calls relevant are the ones the model's output depends on.
For a classifier one tracks the class score; a regression model of authenticity has no class,
so the curves track how far the output moves from its value on the intact image, in rating
units: ``|f(x_k) − f(x)|`` after the k-th step.

- *Deletion*: pixels are set to the baseline (as in MPM) in the map's order — most relevant
  first (MoRF) should move the output fast, least relevant first (LeRF) slowly;
- *Insertion*: starting from the all-baseline image, pixels are restored most relevant first; the
  output should return to f(x) fast (a small area).

Relevance is the map's magnitude (a pixel that lowers the prediction matters as much as one that
raises it). :func:`faithfulness_curves` evaluates every step image of every variant of an
architecture in batches through one model call, so all variants share the trunk's batches.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from authxai.localization import to_mask_grid

#: Curve name -> (mode, order), the columns of a faithfulness table.
CURVES = {
    "deletion_morf": ("deletion", "morf"),
    "deletion_lerf": ("deletion", "lerf"),
    "insertion_morf": ("insertion", "morf"),
}


def relevance_order(saliency: np.ndarray, most_relevant_first: bool = True) -> np.ndarray:
    """Flat pixel indices by ``|saliency|``, largest first (or last); ties keep pixel order."""
    magnitude = np.abs(np.asarray(saliency, dtype=np.float64)).ravel()
    order = np.argsort(-magnitude if most_relevant_first else magnitude, kind="stable")
    return order


def step_counts(n_pixels: int, steps: int) -> np.ndarray:
    """Pixels changed after each of ``steps`` equal steps, 0 and ``n_pixels`` included."""
    return np.round(np.linspace(0, n_pixels, steps + 1)).astype(int)


def perturbed_images(
    image: torch.Tensor, order: np.ndarray, counts: np.ndarray, mode: str, baseline: float = 0.0
) -> torch.Tensor:
    """(len(counts), C, H, W): the image after each step of a deletion or insertion curve."""
    _, height, width = image.shape
    rank = torch.empty(height * width, dtype=torch.long)
    rank[torch.as_tensor(order)] = torch.arange(height * width)
    changed = rank.reshape(1, height, width) < torch.as_tensor(counts).reshape(-1, 1, 1)  # (S, H, W)
    changed = changed.to(image.device)  # built on the CPU; torch.where wants one device (CUDA, MPS)
    base = torch.full_like(image, baseline)
    if mode == "deletion":
        return torch.where(changed[:, None], base, image)
    if mode == "insertion":
        return torch.where(changed[:, None], image, base)
    raise ValueError(f"mode must be 'deletion' or 'insertion', got {mode!r}")


def curve_auc(values: np.ndarray) -> float:
    """Trapezoidal area under a curve sampled at equal steps of the fraction 0..1."""
    values = np.asarray(values, dtype=np.float64)
    return float(np.trapezoid(values, dx=1.0 / (len(values) - 1)))


@torch.no_grad()
def faithfulness_curves(
    forward: Callable[[torch.Tensor], torch.Tensor],
    image: torch.Tensor,
    saliency: np.ndarray,
    steps: int = 16,
    baseline: float = 0.0,
    batch_size: int = 64,
) -> list[dict[str, np.ndarray | float]]:
    """Deletion/insertion curves and areas of one map on one image, for every model output.

    ``forward`` maps (B, C, H, W) to (B, V) outputs of V variants (a
    :class:`~authxai.attribution.variants.SharedTrunkVariants`), so one set of perturbed images
    scores an architecture's prototype map for all its variants at once; ``saliency`` is (h, w),
    resized to the image when coarser. Returns per output ``{curve: values, curve_auc: area}``
    with values ``|f_v(x_k) − f_v(x)|`` at fractions 0, 1/steps, …, 1.
    """
    image = image.detach()
    _, height, width = image.shape
    counts = step_counts(height * width, steps)
    fine = to_mask_grid(saliency, (height, width))
    batches = [
        perturbed_images(image, relevance_order(fine, most_relevant_first=order == "morf"), counts, mode, baseline)
        for mode, order in CURVES.values()
    ]
    stack = torch.cat([image[None], *batches])
    outputs = torch.cat([forward(stack[lo : lo + batch_size]) for lo in range(0, len(stack), batch_size)])
    outputs = outputs.cpu().to(torch.float64).numpy()  # to the CPU first: MPS has no float64
    moved = np.abs(outputs[1:] - outputs[0]).reshape(len(CURVES), len(counts), -1)  # (curve, step, V)
    results = []
    for v in range(moved.shape[2]):
        result: dict[str, np.ndarray | float] = {}
        for k, name in enumerate(CURVES):
            result[name] = moved[k, :, v]
            result[f"{name}_auc"] = curve_auc(moved[k, :, v])
        results.append(result)
    return results


def variant_faithfulness(
    forward: Callable[[torch.Tensor], torch.Tensor],
    image: torch.Tensor,
    maps: list[np.ndarray],
    steps: int = 16,
    baseline: float = 0.0,
    batch_size: int = 64,
) -> list[dict[str, np.ndarray | float]]:
    """Each variant's own map scored on its own output: ``maps[k]`` against output column k.

    The trunk is shared by every variant's perturbed images in the batches of ``forward``; the
    other variants' outputs on them cost only their heads and are dropped.
    """
    return [faithfulness_curves(forward, image, m, steps, baseline, batch_size)[k] for k, m in enumerate(maps)]


def faithfulness_gap(row: dict) -> float:
    """Deletion MoRF area minus LeRF area (rating units): > 0 when removing what the map calls
    relevant moves the output more than removing what it calls irrelevant."""
    return float(row["deletion_morf_auc"] - row["deletion_lerf_auc"])
