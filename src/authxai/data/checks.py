"""What the whole DAG needs from the data, checked before the first job runs.

The workflow calls :func:`check_study` at parse time on the image table and ratings it plans
from, so a dataset that is too small or degenerate for a later stage (splits, correlations over
the test set, stacking folds, split-half reliability) stops with one line before features and
heads are computed, instead of a traceback hours later.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from authxai.errors import InputError
from authxai.splits import EXPERIMENTS, split_sizes

#: Correlations over a test set (PLCC, SRCC, their bootstrap CIs) need at least this many images.
MIN_TEST = 3
#: Heads train on mini-batches; one training image is no fit.
MIN_TRAIN = 2
#: Largest dataset size searched for one that cannot be split.
_SEARCH_LIMIT = 10_000


def split_problems(n_kept: int, config: dict) -> list[str]:
    """Why ``n_kept`` kept images cannot be split for the configured experiments (empty: they can)."""
    if n_kept < 3:
        return [f"a train/validation/test split needs at least 3 images, {n_kept} are kept"]
    needs = {"exp12": MIN_TEST}
    if "val" in config["attribution"]["regimes"]:  # Experiment 3: ensembles stack by K-fold CV
        needs["exp3"] = max(MIN_TEST, config["ensemble"]["folds"])
    problems = []
    for experiment, min_test in needs.items():
        sizes = split_sizes(n_kept, *EXPERIMENTS[experiment])
        label = "Experiments 1-2" if experiment == "exp12" else "Experiment 3"
        if sizes["test"] < min_test:
            why = "correlations over it" if min_test == MIN_TEST else f"stacking's {min_test} folds (ensemble.folds)"
            problems.append(f"{label}'s test set would hold {sizes['test']} image(s), {why} need {min_test}")
        if sizes["train"] < MIN_TRAIN:
            problems.append(f"{label}'s training set would hold {sizes['train']} image(s), heads need {MIN_TRAIN}")
    return problems


def minimum_kept(config: dict) -> int:
    """The number of kept images from which on every dataset size can be split as configured.

    (Not the smallest size that works: rounding makes it non-monotone — 17 kept images give a
    3-image test set, 20 give 2.)"""
    return 1 + max(n for n in range(_SEARCH_LIMIT) if split_problems(n, config))


def check_study(images: pd.DataFrame, ratings: pd.DataFrame, config: dict) -> None:
    """Stop with one line when the data cannot carry the configured study.

    Checks: some images are kept after the exclusion; enough are kept for every split role and
    the statistics computed on it; the authenticity MOS varies (a constant target has no
    correlation to report); raw ratings, where given, come from at least 2 participants
    (split-half reliability splits them in two).
    """
    n_all, kept = len(images), images[images["kept"]]
    if kept.empty:
        raise InputError(
            f"dataset: all {n_all} images are excluded by dataset.exclusion — remove combinations from "
            "dataset.exclusion.combos / combos_file"
        )
    problems = split_problems(len(kept), config)
    if problems:
        raise InputError(
            f"dataset: {len(kept)} of {n_all} images are kept after dataset.exclusion: {problems[0]} — add "
            "images or relax the exclusion (with this configuration, any "
            f"{minimum_kept(config)} or more kept images work)"
        )
    for dim in ("authenticity", "quality"):
        values = kept[f"mos_{dim}"].dropna().to_numpy(float)
        if len(values) >= 2 and np.ptp(values) == 0:
            raise InputError(
                f"dataset: every kept image has the same {dim} MOS ({values[0]:.4g}), so there is nothing to "
                f"predict or correlate — check the ratings file (do all {dim} ratings hold one value?)"
            )
    if len(ratings):
        raters = ratings.loc[ratings["dimension"] == "authenticity", "participant"].nunique()
        if raters < 2:
            mos_only = " (or unset dataset.ratings to use the published MOS only)"
            raise InputError(
                f"dataset.ratings: authenticity ratings from {raters} participant(s); split-half reliability "
                "needs at least 2 — add participants' ratings"
                + (mos_only if config["dataset"]["kind"] == "aigciqa2023" else "")
            )
