"""Split sizes as in the paper: train and validation rounded down, the test set the remainder."""

import numpy as np
import pandas as pd
import pytest

from authxai.splits import EXPERIMENTS, make_splits, split_sizes


def test_split_sizes_of_the_paper():
    # 1,368 kept AIGCIQA2023 images: 957 / 273 / 138 in Experiments 1–2 (the paper's counts)
    assert split_sizes(1368, *EXPERIMENTS["exp12"]) == {"train": 957, "val": 273, "test": 138}
    assert split_sizes(1368, *EXPERIMENTS["exp3"]) == {"train": 957, "val": 136, "test": 275}
    # shares are exact decimals: 0.7 * 70 is 49 (in floating point 48.99...)
    assert split_sizes(70, 0.1, 0.2) == {"train": 49, "val": 14, "test": 7}


@pytest.mark.parametrize("n", [46, 70, 137, 1368])
def test_make_splits_has_those_sizes_and_stays_stratified(n):
    rng = np.random.default_rng(n)
    images = pd.DataFrame(
        {"image_id": [f"i{k:04d}" for k in range(n)], "kept": True, "mos_authenticity": rng.normal(50, 10, n)}
    )
    splits = make_splits(images, seeds=[0, 1])
    for exp, shares in EXPERIMENTS.items():
        expected = split_sizes(n, *shares)
        counts = splits[splits["experiment"] == exp].groupby(["seed", "role"]).size()
        for seed in (0, 1):
            assert counts.loc[seed].to_dict() == expected
    if n == 1368:
        test = splits.query("experiment == 'exp12' and seed == 0 and role == 'test'")["image_id"]
        deciles = pd.qcut(images.set_index("image_id")["mos_authenticity"], 10, labels=False)
        per_decile = deciles.loc[test].value_counts()
        assert len(per_decile) == 10 and per_decile.max() - per_decile.min() <= 2  # ~13.8 per decile


def test_small_datasets_keep_an_image_in_every_role_and_too_few_is_one_line():
    from authxai.errors import InputError
    from authxai.splits import split_sizes

    assert split_sizes(6, 0.2, 0.1) == {"train": 4, "val": 1, "test": 1}
    assert split_sizes(3, 0.1, 0.2) == {"train": 1, "val": 1, "test": 1}
    assert split_sizes(1368, 0.1, 0.2) == {"train": 957, "val": 273, "test": 138}
    with pytest.raises(InputError, match="2 kept image"):
        split_sizes(2, 0.1, 0.2)
