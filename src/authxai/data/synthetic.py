"""The planted-cue rating study (docs/datasets.md).

A study is made in two steps so that the workflow DAG is known at parse time:

1. :func:`plan_study` — a pure, fast function of the config and seed. It draws, per image, the
   source photo and crop, the planted artifacts (kind, place, size, severity), the global
   degradation and the prompt-like metadata; the latent quality/authenticity/correspondence that
   follow from them; and the raw 1–5 ratings of simulated raters. No pixels are touched.
2. :func:`render_image` — paints one planned image and its ground-truth cue mask.

The cue mask is a bit field: bit ``k`` is set where artifact ``ARTIFACT_KINDS[k]`` was painted,
so overlapping cues stay distinguishable.

Every random draw of a rendering comes from a stream of its own — one per artifact kind, one for
the global degradation — so that :func:`render_image` can leave any planted artifact out
(``without=``) and paint everything else exactly as in the full image: the counterfactual
images of :mod:`authxai.counterfactual`.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageFilter

ARTIFACT_KINDS: tuple[str, ...] = ("smear", "checkerboard", "colour_bleed", "warp", "copy_move")
#: How strongly each planted artifact lowers latent authenticity (per unit severity).
ARTIFACT_WEIGHTS = np.array([1.0, 1.1, 0.9, 1.2, 1.0])
#: Per generator: probability of each artifact kind, and the mean global degradation.
GENERATOR_PROFILES: dict[str, tuple[tuple[float, ...], float]] = {
    "gen_a": ((0.55, 0.15, 0.10, 0.35, 0.10), 0.25),
    "gen_b": ((0.10, 0.50, 0.20, 0.10, 0.30), 0.20),
    "gen_c": ((0.30, 0.30, 0.45, 0.30, 0.20), 0.55),
    "gen_d": ((0.40, 0.40, 0.35, 0.45, 0.40), 0.65),
    "gen_e": ((0.10, 0.10, 0.10, 0.10, 0.10), 0.15),
    "gen_f": ((0.20, 0.25, 0.30, 0.20, 0.45), 0.40),
}
CATEGORIES = (
    "Animals",
    "Artifacts",
    "Food & Beverage",
    "Illustrations",
    "Indoor Scenes",
    "Outdoor Scenes",
    "People",
    "Vehicles",
)
CHALLENGES = ("Basic", "Complex", "Fine-grained Detail", "Imagination", "Perspective", "Style & Format")
#: Category × challenge combinations that are "non-realistic" in the embedded study; the
#: exclusion rule removes them as the paper removed 43 combinations of AIGCIQA2023.
NON_REALISTIC_COMBOS: tuple[tuple[str, str], ...] = tuple(
    (cat, chal)
    for cat in CATEGORIES
    for chal in CHALLENGES
    if chal in ("Imagination", "Style & Format") or cat == "Illustrations"
)
DIMENSIONS = ("quality", "authenticity", "correspondence")


@dataclass(frozen=True)
class StudySettings:
    """Knobs of the planted-cue study; defaults are the calibrated embedded study."""

    n_images: int = 800
    image_size: int = 224
    seed: int = 0
    n_raters: int = 25
    max_artifacts: int = 3
    non_realistic_share: float = 0.43
    #: SD of the latent true scores relative to unit rater noise; sets the reliability.
    latent_sd: float = 0.32
    #: Correlation of a rater's noise across the three dimensions of one image (halo effect);
    #: it is what lets the quality–authenticity MOS correlation exceed the reliabilities.
    noise_correlation: float = 0.75


def image_ids(settings: StudySettings) -> list[str]:
    """The study's image ids, known without rendering (for the DAG)."""
    return [f"syn{i:04d}" for i in range(settings.n_images)]


@lru_cache(maxsize=1)
def source_photos() -> tuple[np.ndarray, ...]:
    """RGB float32 photos in [0, 1] shipped by installed packages (no download)."""
    import matplotlib.cbook as cbook
    import skimage.data as skd
    from sklearn.datasets import load_sample_images

    photos = []
    for name in (
        "astronaut",
        "chelsea",
        "coffee",
        "rocket",
        "hubble_deep_field",
        "retina",
        "immunohistochemistry",
        "stereo_motorcycle",
        "brick",
        "grass",
        "gravel",
    ):
        img = getattr(skd, name)()
        photos.append(img[0] if isinstance(img, tuple) else img)
    photos.extend(load_sample_images().images)
    with cbook.get_sample_data("grace_hopper.jpg") as fh:
        photos.append(np.asarray(Image.open(fh).convert("RGB")))
    out = []
    for img in photos:
        img = np.asarray(img)
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        out.append(np.ascontiguousarray(img[..., :3]).astype(np.float32) / 255.0)
    return tuple(out)


N_PHOTOS = 14


def _zscore(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / (x.std() + 1e-12)


def plan_study(settings: StudySettings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Draw the whole study: one row per image (metadata, cues, latents) and the raw ratings.

    Returns ``(images, ratings)``; ratings is long: participant, image_id, dimension, rating.
    Deterministic in ``settings``.
    """
    rng = np.random.default_rng(settings.seed)
    n, size = settings.n_images, settings.image_size
    gens = list(GENERATOR_PROFILES)
    generator = rng.integers(0, len(gens), n)
    probs = np.array([GENERATOR_PROFILES[g][0] for g in gens])[generator]
    present = rng.random(probs.shape) < probs
    # Keep at most max_artifacts cues: drop random extras.
    order = np.argsort(rng.random(present.shape) + ~present, axis=1)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(present.shape[1])[None].repeat(n, 0), axis=1)
    present &= rank < settings.max_artifacts
    severity = np.where(present, rng.uniform(0.5, 1.0, present.shape), 0.0)
    radius = rng.uniform(0.13, 0.22, present.shape) * size
    centre = rng.uniform(0.2, 0.8, present.shape + (2,)) * size
    deg_mean = np.array([GENERATOR_PROFILES[g][1] for g in gens])[generator]
    degradation = np.clip(rng.beta(2.0, 2.0, n) * 0.6 + deg_mean * 0.6 - 0.1, 0.0, 1.0)

    non_realistic = rng.random(n) < settings.non_realistic_share
    realistic = [(c, h) for c in CATEGORIES for h in CHALLENGES if (c, h) not in NON_REALISTIC_COMBOS]
    combo_idx = np.where(
        non_realistic,
        rng.integers(0, len(NON_REALISTIC_COMBOS), n),
        rng.integers(0, len(realistic), n),
    )
    combos = [NON_REALISTIC_COMBOS[i] if nr else realistic[i] for i, nr in zip(combo_idx, non_realistic)]

    artifact_load = (severity * ARTIFACT_WEIGHTS).sum(axis=1)
    appeal = rng.normal(0, 1, n)  # prompt/scene appeal the cues do not explain
    lat_auth = _zscore(-artifact_load - 3.0 * degradation - 0.35 * non_realistic + 0.1 * appeal)
    lat_qual = _zscore(-0.5 * artifact_load - 4.0 * degradation + 0.3 * appeal)
    lat_corr = _zscore(rng.normal(0, 1, n) + 0.3 * lat_qual)

    images = pd.DataFrame(
        {
            "image_id": image_ids(settings),
            "path": [f"images/syn{i:04d}.png" for i in range(n)],
            "cue_mask_path": [f"masks/syn{i:04d}.png" for i in range(n)],
            "generator": [gens[g] for g in generator],
            "category": [c for c, _ in combos],
            "challenge": [h for _, h in combos],
            "prompt": [f"{c.lower()}, {h.lower()} #{k}" for (c, h), k in zip(combos, rng.integers(0, 100, n))],
            "cue_kinds": [";".join(k for k, p in zip(ARTIFACT_KINDS, row) if p) for row in present],
            "cue_count": present.sum(axis=1),
            "degradation": degradation,
            "latent_quality": lat_qual,
            "latent_authenticity": lat_auth,
            "latent_correspondence": lat_corr,
            "photo": rng.integers(0, N_PHOTOS, n),
            "crop_frac": rng.uniform(0.35, 0.9, n),
            "crop_x": rng.random(n),
            "crop_y": rng.random(n),
            "flip": rng.random(n) < 0.5,
            "jitter_brightness": rng.uniform(0.85, 1.15, n),
            "jitter_saturation": rng.uniform(0.7, 1.3, n),
            "render_seed": rng.integers(0, 2**31 - 1, n),
        }
    )
    for k, kind in enumerate(ARTIFACT_KINDS):
        images[f"{kind}_severity"] = severity[:, k]
        images[f"{kind}_radius"] = radius[:, k]
        images[f"{kind}_cx"] = centre[:, k, 0]
        images[f"{kind}_cy"] = centre[:, k, 1]
    ratings = simulate_ratings(np.stack([lat_qual, lat_auth, lat_corr]), images["image_id"], settings, rng)
    return images, ratings


def simulate_ratings(
    latents: np.ndarray, ids: pd.Series, settings: StudySettings, rng: np.random.Generator
) -> pd.DataFrame:
    """Raw 1–5 ratings of ``settings.n_raters`` raters for latents of shape (3, n_images).

    Each rater has a bias, a gain, a noise level and their own use of the scale (threshold
    spread); their noise on one image is correlated across dimensions (halo).
    """
    n_dim, n = latents.shape
    r = settings.n_raters
    bias = rng.normal(0, 0.3, (r, 1, 1))
    gain = rng.uniform(0.7, 1.3, (r, 1, 1))
    noise_sd = rng.uniform(0.8, 1.2, (r, 1, 1))
    rho = settings.noise_correlation
    shared = rng.normal(0, 1, (r, 1, n))
    own = rng.normal(0, 1, (r, n_dim, n))
    noise = noise_sd * (np.sqrt(rho) * shared + np.sqrt(1 - rho) * own)
    latent = gain * settings.latent_sd * latents[None] + bias + noise
    spread = rng.uniform(0.8, 1.25, (r, 1))
    thresholds = np.array([-1.2, -0.4, 0.4, 1.2])[None] * spread + rng.normal(0, 0.15, (r, 1))
    raw = np.empty(latent.shape, dtype=np.int64)
    for p in range(r):  # 25 raters: np.digitize needs one threshold vector per call
        raw[p] = np.digitize(latent[p], thresholds[p]) + 1
    part, dim, img = np.meshgrid(np.arange(r), np.arange(n_dim), np.arange(n), indexing="ij")
    return pd.DataFrame(
        {
            "participant": [f"p{p:02d}" for p in part.ravel()],
            "image_id": np.asarray(ids)[img.ravel()],
            "dimension": np.asarray(DIMENSIONS)[dim.ravel()],
            "rating": raw.ravel(),
        }
    )


# --------------------------------------------------------------------------- rendering


def _ellipse_mask(size: int, cx: float, cy: float, radius: float, rng: np.random.Generator) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    aspect = rng.uniform(0.6, 1.4)
    angle = rng.uniform(0, np.pi)
    dx, dy = xx - cx, yy - cy
    u = (dx * np.cos(angle) + dy * np.sin(angle)) / (radius * aspect)
    v = (-dx * np.sin(angle) + dy * np.cos(angle)) / (radius / aspect)
    return (u**2 + v**2) <= 1.0


def _blend(img: np.ndarray, altered: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.where(mask[..., None], altered, img)


def _smear(img: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
    """Directional (motion-like) blur along a random angle: smeared texture."""
    from scipy.ndimage import convolve

    length = int(13 + 20 * severity)
    line = np.zeros((length, length), np.uint8)
    line[length // 2, :] = 255
    kernel = np.asarray(Image.fromarray(line).rotate(rng.uniform(0, 180), resample=Image.BILINEAR), np.float32)
    kernel /= kernel.sum()
    return np.stack([convolve(img[..., c], kernel, mode="reflect") for c in range(3)], axis=-1)


def _checkerboard(img: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
    period = int(rng.choice([4, 6, 8]))
    size = img.shape[0]
    small = Image.fromarray((img * 255).astype(np.uint8)).resize((size // period, size // period), Image.BILINEAR)
    up = np.asarray(small.resize((size, size), Image.NEAREST), np.float32) / 255
    yy, xx = np.mgrid[0:size, 0:size]
    checker = (((yy // (period // 2)) + (xx // (period // 2))) % 2) * 2.0 - 1.0
    return np.clip(up * (1 + 0.35 * severity * checker[..., None]), 0, 1)


def _colour_bleed(img: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
    shift = int(4 + 8 * severity)
    out = img.copy()
    out[..., 0] = np.roll(img[..., 0], shift, axis=1)
    out[..., 2] = np.roll(img[..., 2], -shift, axis=0)
    tint = rng.uniform(0, 1, 3).astype(np.float32)
    return np.clip((1 - 0.45 * severity) * out + 0.45 * severity * tint * 1.4, 0, 1)


def _warp(img: np.ndarray, severity: float, centre: tuple[float, float], radius: float) -> np.ndarray:
    from skimage.transform import swirl

    return swirl(img, center=centre, strength=4 + 6 * severity, radius=radius * 1.3, mode="reflect").astype(np.float32)


def _copy_move(img: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    size = img.shape[0]
    dy, dx = rng.integers(size // 4, size // 2, 2) * rng.choice([-1, 1], 2)
    moved = np.roll(np.roll(img, dy, axis=0), dx, axis=1)
    moved = np.flipud(moved) if rng.random() < 0.5 else np.fliplr(moved)
    # The pasted region keeps its own exposure (brighter or darker), so its hard edge shows.
    gain = rng.choice([0.75, 1.3])
    return np.clip(np.where(mask[..., None], moved * gain, img), 0, 1)


def _base_photo(row: pd.Series, size: int) -> np.ndarray:
    photo = source_photos()[int(row["photo"]) % N_PHOTOS]
    h, w = photo.shape[:2]
    side = int(min(h, w) * row["crop_frac"])
    y0 = int((h - side) * row["crop_y"])
    x0 = int((w - side) * row["crop_x"])
    crop = photo[y0 : y0 + side, x0 : x0 + side]
    pil = Image.fromarray((crop * 255).astype(np.uint8)).resize((size, size), Image.BILINEAR)
    img = np.asarray(pil, np.float32) / 255
    if row["flip"]:
        img = img[:, ::-1]
    grey = img.mean(axis=2, keepdims=True)
    img = grey + (img - grey) * row["jitter_saturation"]
    return np.clip(img * row["jitter_brightness"], 0, 1).astype(np.float32)


#: Stream index of the global degradation's draws (artifact ``k`` draws from stream ``k``).
DEGRADATION_STREAM = len(ARTIFACT_KINDS)


def planted_kinds(row: pd.Series) -> list[str]:
    """The artifact kinds planted in a plan row (severity > 0), in painting order."""
    return [kind for kind in ARTIFACT_KINDS if float(row[f"{kind}_severity"]) > 0]


def _left_out(without: str | Iterable[str] | None) -> frozenset[str]:
    """``without`` as a set of kind names; an unknown name is an error (a typo would silently
    render the full image)."""
    kinds = frozenset() if without is None else frozenset([without] if isinstance(without, str) else without)
    unknown = sorted(kinds - set(ARTIFACT_KINDS))
    if unknown:
        raise ValueError(f"unknown artifact kind(s) {unknown}; the kinds are {list(ARTIFACT_KINDS)}")
    return kinds


def render_image(
    row: pd.Series, size: int, non_realistic: bool, without: str | Iterable[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Paint one planned image. Returns (uint8 RGB image, uint8 cue bit-field mask).

    ``without``: an artifact kind (or several) to leave out. Each artifact draws from its own
    random stream (``[render_seed, k]``) and the degradation from another, so the image is the
    full rendering minus that artifact: its pixels are not painted and its bit is absent from
    the mask, every other draw is the same. Artifacts painted after a left-out one act on the
    image as it is without it (a copy-move that copies the left-out region copies the clean
    pixels), and the global blur and JPEG spread a difference a few pixels beyond its region.
    Leaving out a kind the image does not have returns the full rendering bit for bit.
    """
    left_out = _left_out(without)
    seed = int(row["render_seed"])
    img = _base_photo(row, size)
    if non_realistic:  # illustration-like rendering: posterized colours
        img = np.round(img * 4) / 4
    cue = np.zeros((size, size), np.uint8)
    for k, kind in enumerate(ARTIFACT_KINDS):
        sev = float(row[f"{kind}_severity"])
        if sev <= 0 or kind in left_out:
            continue
        rng = np.random.default_rng([seed, k])
        cx, cy, rad = float(row[f"{kind}_cx"]), float(row[f"{kind}_cy"]), float(row[f"{kind}_radius"])
        mask = _ellipse_mask(size, cx, cy, rad, rng)
        if kind == "smear":
            altered = _smear(img, sev, rng)
        elif kind == "checkerboard":
            altered = _checkerboard(img, sev, rng)
        elif kind == "colour_bleed":
            altered = _colour_bleed(img, sev, rng)
        elif kind == "warp":
            altered = _warp(img, sev, (cx, cy), rad)
        else:
            altered = _copy_move(img, mask, rng)
        img = _blend(img, altered, mask)
        cue |= mask.astype(np.uint8) << k
    img = _degrade(img, float(row["degradation"]), np.random.default_rng([seed, DEGRADATION_STREAM]))
    return img, cue


def _degrade(img: np.ndarray, level: float, rng: np.random.Generator) -> np.ndarray:
    """Global quality loss: blur, sensor noise, then JPEG, all growing with ``level``."""
    pil = Image.fromarray((np.clip(img, 0, 1) * 255).astype(np.uint8))
    if level > 0.05:
        pil = pil.filter(ImageFilter.GaussianBlur(radius=1.6 * level))
    arr = np.asarray(pil, np.float32) / 255 + rng.normal(0, 0.05 * level, img.shape[:2] + (3,)).astype(np.float32)
    pil = Image.fromarray((np.clip(arr, 0, 1) * 255).astype(np.uint8))
    buf = io.BytesIO()
    pil.save(buf, format="JPEG", quality=int(95 - 80 * level))
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def is_non_realistic(row: pd.Series) -> bool:
    """Whether a plan row's category × challenge is one of :data:`NON_REALISTIC_COMBOS` (it is
    rendered posterized)."""
    return (row["category"], row["challenge"]) in _NON_REALISTIC


_NON_REALISTIC = frozenset(NON_REALISTIC_COMBOS)


def iter_rendered(images: pd.DataFrame, settings: StudySettings) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """Yield (image_id, image, cue mask) for every planned image."""
    for _, row in images.iterrows():
        img, cue = render_image(row, settings.image_size, is_non_realistic(row))
        yield row["image_id"], img, cue


def write_study(settings: StudySettings, out_dir: str | Path, log: logging.Logger | None = None) -> pd.DataFrame:
    """Plan and render the study into ``out_dir`` as a ``kind: table`` dataset.

    Writes ``images/<id>.png``, ``masks/<id>.png`` (cue bit field), ``images.csv``,
    ``ratings.csv`` and ``excluded_combos.csv``; the tables are written last, so a crash never
    leaves a directory that looks finished.
    """
    log = log or logging.getLogger(__name__)
    out = Path(out_dir)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "masks").mkdir(parents=True, exist_ok=True)
    images, ratings = plan_study(settings)
    start = time.perf_counter()
    for k, (image_id, img, cue) in enumerate(iter_rendered(images, settings), start=1):
        Image.fromarray(img).save(out / "images" / f"{image_id}.png", optimize=False, compress_level=1)
        Image.fromarray(cue).save(out / "masks" / f"{image_id}.png", compress_level=1)
        if k % 100 == 0 or k == len(images):
            rate = k / (time.perf_counter() - start)
            log.info("rendered %d/%d images (%.1f images/s)", k, len(images), rate)
    pd.DataFrame(NON_REALISTIC_COMBOS, columns=["Category", "Challenge"]).to_csv(
        out / "excluded_combos.csv", index=False
    )
    ratings.to_csv(out / "ratings.csv", index=False)
    keep = [c for c in images.columns if c not in RENDER_ONLY_COLUMNS]
    images[keep].to_csv(out / "images.csv", index=False)
    return images


#: Plan columns that only drive rendering; the rest (cues, latents) go into images.csv.
RENDER_ONLY_COLUMNS = frozenset(
    ["photo", "crop_frac", "crop_x", "crop_y", "flip", "jitter_brightness", "jitter_saturation", "render_seed"]
)
