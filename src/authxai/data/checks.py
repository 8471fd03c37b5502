"""What the whole DAG needs from the data, checked before the first job runs.

The workflow calls :func:`check_study` at parse time on the image table and ratings it plans
from, so a dataset that is too small or degenerate for a later stage (splits, correlations over
the test set, stacking folds, split-half reliability) stops with one line before features and
heads are computed, instead of a traceback hours later.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from authxai.data.kinds import kind_of
from authxai.errors import InputError
from authxai.splits import EXPERIMENTS, REGIMES, split_sizes

#: Correlations over a test set (PLCC, SRCC, their bootstrap CIs) need at least this many images.
MIN_TEST = 3
#: Heads train on mini-batches; one training image is no fit.
MIN_TRAIN = 2
#: Experiment -> what it is called in messages.
LABELS = {"exp12": "Experiments 1-2", "exp3": "Experiment 3"}


def min_test_images(config: dict) -> dict[str, int]:
    """Experiment -> the fewest test images its statistics need: 3 for correlations; Experiment 3
    (the pruning regime ``val``) also stacks its ensembles by ``ensemble.folds``-fold CV on it."""
    needs = {"exp12": MIN_TEST}
    if "val" in config["attribution"]["regimes"]:
        needs[REGIMES["val"][0]] = max(MIN_TEST, config["ensemble"]["folds"])
    return needs


def split_problems(n_kept: int, config: dict) -> list[str]:
    """Why ``n_kept`` kept images cannot be split for the configured experiments (empty: they can)."""
    if n_kept < 3:
        return [f"a train/validation/test split needs at least 3 images, {n_kept} are kept"]
    problems = []
    for experiment, min_test in min_test_images(config).items():
        sizes = split_sizes(n_kept, *EXPERIMENTS[experiment])
        label = LABELS[experiment]
        if sizes["test"] < min_test:
            why = "correlations over it" if min_test == MIN_TEST else f"stacking's {min_test} folds (ensemble.folds)"
            problems.append(f"{label}'s test set would hold {sizes['test']} image(s), {why} need {min_test}")
        if sizes["train"] < MIN_TRAIN:
            problems.append(f"{label}'s training set would hold {sizes['train']} image(s), heads need {MIN_TRAIN}")
    return problems


def minimum_kept(config: dict) -> int:
    """The number of kept images from which on every dataset size can be split as configured.

    (Not the smallest size that works: rounding makes it non-monotone — 17 kept images give a
    3-image test set, 20 give 2.) Every test share is at least 10%, so beyond ten times the
    largest test-set need plus ten images every size works."""
    limit = 10 * (max(min_test_images(config).values()) + MIN_TRAIN) + 10
    return 1 + max(n for n in range(limit) if split_problems(n, config))


def check_study(images: pd.DataFrame, ratings: pd.DataFrame, config: dict) -> None:
    """Stop with one line when the data cannot carry the configured study.

    Checks: some images are kept after the exclusion; enough are kept for every split role and
    the statistics computed on it; the authenticity (and quality) MOS varies — a constant target
    has no correlation to report; raw ratings, where given, come from at least 2 participants on
    every rated dimension (split-half reliability splits them in two).
    """
    n_all, kept = len(images), images[images["kept"]]
    if kept.empty:
        raise InputError(
            f"dataset: all {n_all} images are excluded by dataset.exclusion — remove combinations from "
            "dataset.exclusion.combos / combos_file"
        )
    problems = split_problems(len(kept), config)
    if problems:
        excluded = n_all - len(kept)
        have = f"{len(kept)} of {n_all} images are kept after dataset.exclusion" if excluded else f"{n_all} images"
        raise InputError(
            f"dataset: {have}: {problems[0]} — add images{' or relax the exclusion' if excluded else ''} (with "
            f"this configuration, any {minimum_kept(config)} or more kept images work)"
        )
    for dim in ("authenticity", "quality"):
        values = kept[f"mos_{dim}"].dropna().to_numpy(float)
        if len(values) >= 2 and np.ptp(values) == 0:
            raise InputError(
                f"dataset: every kept image has the same {dim} MOS ({values[0]:.4g}), so there is nothing to "
                f"predict or correlate — check the ratings file (do all {dim} ratings hold one value?)"
            )
    raters = ratings.groupby("dimension")["participant"].nunique()
    for dim, n in raters.items():
        if n < 2:
            mos_only = " (or unset dataset.ratings to use the published MOS only)"
            raise InputError(
                f"dataset.ratings: {dim} ratings from {n} participant; split-half reliability needs at least 2 — "
                "add participants' ratings" + (mos_only if kind_of(config["dataset"]).published_mos else "")
            )
