"""How much randomizing a model changed its maps, and the verdicts of the sanity checks: no
torch (the scorecard and table jobs read these)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from skimage.metrics import structural_similarity

from authxai.localization import to_mask_grid
from authxai.statistics import MIN_CI_UNITS, TOO_FEW, summarize_with_ci

#: Similarities of a randomized map to the original (higher = less changed).
SIMILARITIES = ("spearman_abs", "ssim")


def _normalized_magnitude(m: np.ndarray) -> np.ndarray:
    mag = np.abs(np.asarray(m, dtype=np.float64))
    top = mag.max()
    return mag / top if top > 0 else mag


def map_similarity(original: np.ndarray, randomized: np.ndarray) -> dict[str, float]:
    """Spearman rank correlation of the magnitudes and SSIM of the max-normalized magnitudes.

    Maps of different resolutions are compared on the original's grid. A flat map (e.g. Grad-CAM
    of a random head, all negative before the ReLU) has no ranking: its Spearman r with a
    structured map is 0, with another flat map 1.
    """
    a = np.asarray(original, dtype=np.float64)
    b = to_mask_grid(np.asarray(randomized, dtype=np.float64), a.shape)
    ma, mb = np.abs(a).ravel(), np.abs(b).ravel()
    if ma.std() > 0 and mb.std() > 0:
        rho = float(stats.spearmanr(ma, mb).statistic)
    else:  # a flat map ranks nothing: it shares no ranking with a structured one
        rho = 1.0 if ma.std() == mb.std() == 0 else 0.0
    side = min(7, *a.shape)  # SSIM's window: odd, at most 7 px, inside the map
    win = side if side % 2 else side - 1
    ssim = float("nan")
    if win >= 3:
        ssim = float(
            structural_similarity(_normalized_magnitude(a), _normalized_magnitude(b), data_range=1.0, win_size=win)
        )
    return {"spearman_abs": rho, "ssim": ssim}


#: Fewest images a sanity verdict rests on: below, the verdict is "n too small" (never a pass).
MIN_SANITY_IMAGES = MIN_CI_UNITS
#: The verdicts of one test (:func:`ci_verdict`).
VERDICTS = ("pass", "fail", "inconclusive", TOO_FEW)


def ci_verdict(low: float, high: float, n_images: int, threshold: float) -> str:
    """One test's verdict from the 95% CI [low, high] of its mean Spearman r over ``n_images``
    images: "pass" when the whole CI lies below ``threshold`` (the maps changed), "fail" when
    it lies above, "inconclusive" when it contains it, "n too small" under
    :data:`MIN_SANITY_IMAGES` images (or none)."""
    if n_images < MIN_SANITY_IMAGES or np.isnan(low) or np.isnan(high):
        return TOO_FEW
    if high < threshold:
        return "pass"
    return "fail" if low > threshold else "inconclusive"


def sanity_verdicts(
    similarity: pd.DataFrame, model_level: str, threshold: float, n_boot: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """Verdicts per (method, arch) for the model test (at ``model_level``, the deepest
    randomization) and the data test (level ``data``): the mean Spearman r of |original| and
    |randomized| maps over images with its percentile bootstrap 95% CI over images, judged
    against ``threshold`` by :func:`ci_verdict`.

    ``similarity`` has columns method, arch, level, image_id, spearman_abs, ssim. Columns:
    method, arch; per test (``model``, ``data``) ``<test>_spearman`` with ``_low``/``_high``,
    ``<test>_ssim`` (mean), ``<test>_verdict`` and ``<test>_pass`` (verdict == "pass");
    ``sanity_images`` (the fewer images of the two tests) and ``passes`` (both pass).
    """
    summary = summarize_with_ci(
        similarity, ["method", "arch", "level"], list(SIMILARITIES), n_boot=n_boot, seed=seed
    ).set_index(["method", "arch", "level"])
    rows = []
    for (method, arch), sub in summary.groupby(level=["method", "arch"], sort=False):
        sub = sub.droplevel(["method", "arch"])
        row: dict = {"method": method, "arch": arch}
        images = []
        for test, level in (("model", model_level), ("data", "data")):
            found = sub.loc[level] if level in sub.index else pd.Series(dtype=float)
            rho, low, high = (
                float(found.get(c, np.nan)) for c in ("spearman_abs", "spearman_abs_low", "spearman_abs_high")
            )
            n = int(found.get("n_image_id", 0))
            images.append(n)
            verdict = ci_verdict(low, high, n, threshold)
            row.update(
                {
                    f"{test}_spearman": rho,
                    f"{test}_spearman_low": low,
                    f"{test}_spearman_high": high,
                    f"{test}_ssim": float(found.get("ssim", np.nan)),
                    f"{test}_verdict": verdict,
                    f"{test}_pass": verdict == "pass",
                }
            )
        row["sanity_images"] = min(images)
        row["passes"] = row["model_pass"] and row["data_pass"]
        rows.append(row)
    return pd.DataFrame(rows)


def randomization_similarity(maps: pd.DataFrame) -> pd.DataFrame:
    """Similarity of every randomized map to the original map of its (method, image)."""
    original = maps[maps["level"] == "original"].set_index(["method", "image_id"])["map"]
    rows = [
        {
            **{k: r[k] for k in ("method", "image_id", "level", "stages")},
            **map_similarity(original.loc[(r["method"], r["image_id"])], r["map"]),
        }
        for r in maps[maps["level"] != "original"].to_dict("records")
    ]
    return pd.DataFrame(rows)
