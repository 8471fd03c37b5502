"""Sanity checks on cases with known answers: which stages are randomized, what similarity says
about identical, sign-flipped and unrelated maps, and a model-independent "explainer" failing."""

import numpy as np
import pandas as pd
import pytest
import torch

from authxai.attribution.pipeline import explain_variants
from authxai.attribution.variants import ExplainedVariants, SharedTrunkVariants
from authxai.localization import to_mask_grid
from authxai.models.backbones import REGISTRY, split_backbone
from authxai.models.heads import RegressionHead
from authxai.sanity import (
    MIN_SANITY_IMAGES,
    cascade_stages,
    ci_verdict,
    map_similarity,
    permuted_targets,
    randomization_maps,
    randomization_similarity,
    randomized_backbone,
    reinitialized_head,
    sanity_verdicts,
)


@pytest.fixture(scope="module")
def lite():
    torch.manual_seed(0)
    return REGISTRY["random_lite0"].build().eval().requires_grad_(False)


@pytest.mark.parametrize("arch", ["vgg16", "resnet152", "densenet161", "efficientnet_b3", "efficientnet_lite0"])
def test_cascade_runs_from_the_top_and_skips_the_unused_imagenet_layer(arch):
    model = REGISTRY[arch].build()
    stages = cascade_stages(model, arch)
    first, last = {
        "vgg16": ("classifier.3", "features.0"),
        "resnet152": ("layer4.2", "conv1"),
        "densenet161": ("features.norm5", "features.conv0"),
        "efficientnet_b3": ("features.8", "features.0"),
        "efficientnet_lite0": ("bn2", "conv_stem"),
    }[arch]
    assert stages[0] == first and stages[-1] == last
    assert not {"fc", "classifier", "classifier.6"} & set(stages)
    # every parameter the embedding uses belongs to exactly one stage
    owned = {f"{s}.{n}" for s in stages for n, _ in model.get_submodule(s).named_parameters()}
    unused = {n for n, _ in model.named_parameters() if n.startswith(("fc.", "classifier."))} - owned
    assert owned | unused == {n for n, _ in model.named_parameters()}


def test_randomizing_the_top_stages_changes_only_them(lite):
    stages = cascade_stages(lite, "random_lite0")
    before = {n: p.clone() for n, p in lite.named_parameters()}
    top2 = randomized_backbone(lite, "random_lite0", 2, seed=1)
    changed = {n for n, p in top2.named_parameters() if not torch.equal(p, before[n])}
    assert changed and all(n.startswith(tuple(stages[:2])) for n in changed)
    # (bn2 of this randomly initialized net is already at its reset values: weight 1, bias 0)
    assert {n.split(".")[0] for n in changed} == {"conv_head"} and stages[:2] == ["bn2", "conv_head"]
    assert all(torch.equal(p, before[n]) for n, p in lite.named_parameters())  # the original is untouched
    again = randomized_backbone(lite, "random_lite0", 2, seed=1)
    assert all(torch.equal(p, q) for p, q in zip(top2.parameters(), again.parameters()))  # seeded
    every = randomized_backbone(lite, "random_lite0", None, seed=1)
    assert not torch.equal(every.conv_stem.weight, lite.conv_stem.weight)


def test_a_fully_randomized_trunk_keeps_its_signal(lite):
    """Re-drawn the way the architecture draws its weights, the signal survives every stage.
    (PyTorch's per-layer reset shrank it to ~1e-8: a constant model whose maps all vanish, so
    every method "passed".) Seed 0 re-draws the random-init control too, which seed 0 built."""
    every = randomized_backbone(lite, "random_lite0", None, seed=0)
    assert not torch.equal(every.conv_stem.weight, lite.conv_stem.weight)
    x = torch.randn(4, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        pooled = every.forward_features(x).mean((2, 3))
    assert pooled.std() > 0.05
    assert (pooled[0] - pooled[1]).abs().mean() > 1e-3  # different images, different embeddings


def test_map_similarity_known_answers():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(32, 32))
    same = map_similarity(a, a)
    assert same["spearman_abs"] == pytest.approx(1.0) and same["ssim"] == pytest.approx(1.0)
    flipped = map_similarity(a, -a)  # magnitudes: a sign flip is the same explanation
    assert flipped["spearman_abs"] == pytest.approx(1.0) and flipped["ssim"] == pytest.approx(1.0)
    unrelated = map_similarity(a, rng.normal(size=(32, 32)))
    assert abs(unrelated["spearman_abs"]) < 0.1 and unrelated["ssim"] < 0.2
    grid = np.arange(1.0, 17.0).reshape(4, 4)
    coarse = map_similarity(to_mask_grid(grid, (32, 32)), grid)  # compared on the original's grid
    assert coarse["spearman_abs"] == pytest.approx(1.0) and coarse["ssim"] == pytest.approx(1.0)
    assert map_similarity(a, np.zeros((32, 32)))["spearman_abs"] == 0.0  # the map vanished: nothing kept
    assert map_similarity(np.zeros((32, 32)), np.zeros((32, 32)))["spearman_abs"] == 1.0


def _similarity_rows(method: str, values: dict[str, np.ndarray]) -> list[dict]:
    """Similarity rows of one method on arch "a": level -> one Spearman r per image."""
    return [
        {"method": method, "arch": "a", "level": level, "stages": 11 if level == "all" else 0, "image_id": f"i{k}"}
        | {"spearman_abs": float(v), "ssim": float(v)}
        for level, per_image in values.items()
        for k, v in enumerate(per_image)
    ]


def test_verdicts_judge_the_ci_of_the_mean_against_the_threshold():
    """An explainer that ignores the model fails (CI at 1); one whose maps change passes (CI
    below 0.5); one scattered around the threshold is inconclusive; four images are too few
    to pass whatever their values. The CI is a percentile bootstrap of the mean over images."""
    rng = np.random.default_rng(0)
    low = rng.uniform(0.0, 0.2, 12)
    around = np.linspace(0.1, 0.9, 12)  # mean 0.5
    rows = (
        _similarity_rows("edges", {"head": np.ones(12), "all": np.ones(12), "data": np.ones(12)})
        + _similarity_rows("gradient", {"head": low, "all": low, "data": low})
        + _similarity_rows("borderline", {"head": low, "all": around, "data": low})
        + _similarity_rows("few", {"head": low[:4], "all": low[:4], "data": low[:4]})
    )
    verdicts = sanity_verdicts(pd.DataFrame(rows), "all", threshold=0.5).set_index("method")
    edges, gradient, borderline, few = (verdicts.loc[m] for m in ("edges", "gradient", "borderline", "few"))
    assert edges["model_verdict"] == edges["data_verdict"] == "fail" and not edges["passes"]
    assert gradient["model_verdict"] == gradient["data_verdict"] == "pass" and gradient["passes"]
    assert gradient["data_spearman"] == pytest.approx(low.mean()) and gradient["sanity_images"] == 12
    assert borderline["model_verdict"] == "inconclusive" and borderline["data_verdict"] == "pass"
    assert not borderline["model_pass"] and borderline["data_pass"] and not borderline["passes"]
    assert few["model_verdict"] == few["data_verdict"] == "n too small" and few["sanity_images"] == 4
    assert not few["model_pass"] and not few["passes"]
    # the CI against an independent percentile bootstrap of the mean over the 12 images
    means = around[rng.integers(0, 12, size=(20000, 12))].mean(axis=1)
    expected = np.percentile(means, [2.5, 97.5])
    got = borderline[["model_spearman_low", "model_spearman_high"]].to_numpy(float)
    np.testing.assert_allclose(got, expected, atol=0.01)
    assert got[0] < 0.5 < got[1]
    kept = ["method", "arch", "model_spearman", "data_spearman", "model_pass", "data_pass", "passes"]
    added = ["model_spearman_low", "model_spearman_high", "data_spearman_low", "data_spearman_high"]
    assert set(kept + added + ["sanity_images", "model_verdict", "data_verdict"]) <= set(verdicts.reset_index())


def test_ci_verdict_at_the_edges():
    assert ci_verdict(0.1, 0.49, 10, 0.5) == "pass" and ci_verdict(0.51, 0.9, 10, 0.5) == "fail"
    assert ci_verdict(0.1, 0.5, 10, 0.5) == "inconclusive"  # touching the threshold is not below it
    assert ci_verdict(0.1, 0.2, MIN_SANITY_IMAGES - 1, 0.5) == "n too small"
    assert ci_verdict(np.nan, np.nan, 0, 0.5) == "n too small"


def test_permuted_targets_shuffle_the_same_ratings():
    y = torch.arange(50, dtype=torch.float32)
    p = permuted_targets(y, 3)
    assert sorted(p.tolist()) == y.tolist() and not torch.equal(p, y)
    assert torch.equal(p, permuted_targets(y, 3))


def test_randomization_maps_end_to_end(lite):
    """Real Grad-CAM/MPM through the shared trunk: the head-only level re-explains the same
    backbone with a fresh head; passing the original head as the "data" head must give the
    original maps back exactly."""
    torch.manual_seed(1)
    head = RegressionHead(1280, (16,), 0.5).eval()
    image = torch.randn(3, 32, 32)
    methods = {"gradcam": {}, "mpm": {"patch_sizes": [5], "stride": 8, "batch_size": 16}}
    maps = randomization_maps(lite, "random_lite0", head, None, head, {"x": image}, methods, [2, None], seed=0)
    assert set(maps["level"]) == {"original", "head", "data", "top2", "all"}
    assert maps.set_index(["method", "level"]).loc[("mpm", "all"), "stages"] == len(
        cascade_stages(lite, "random_lite0")
    )
    # the original maps are what the attribution stage computes for this variant
    trunk, tail = split_backbone(lite, "random_lite0")
    direct = explain_variants("gradcam", SharedTrunkVariants(trunk, tail, [head]), image, {})[0]["map"]
    original = maps.set_index(["method", "level"]).loc[("gradcam", "original"), "map"]
    np.testing.assert_allclose(original.ravel(), direct, rtol=1e-5, atol=1e-7)
    similarity = randomization_similarity(maps).set_index(["method", "level"])
    assert similarity.loc[("mpm", "data"), "spearman_abs"] == pytest.approx(1.0)
    assert similarity.loc[("mpm", "head"), "spearman_abs"] < 0.99
    assert reinitialized_head(head, 0).out.bias.item() == pytest.approx(head.out.bias.item())


def test_copies_reinitialized_from_the_top_share_the_stages_below(lite):
    """The sanity checks run the original and its top-k copies through their common stages
    once (BranchedTrunkVariants); the maps are those of each network explained on its own."""
    from authxai.attribution.variants import BranchedTrunkVariants, shared_stages
    from authxai.models.backbones import fold_batchnorm

    arch = "random_lite0"
    folded = [fold_batchnorm(m, arch) for m in (lite, randomized_backbone(lite, arch, 2, seed=0))]
    trunks = [split_backbone(m, arch)[0] for m in folded]
    n_stages = len(trunks[0].stages())
    assert shared_stages(trunks) == n_stages - 1  # top2 = bn2 (tail) and conv_head (last stage)
    everything = split_backbone(fold_batchnorm(randomized_backbone(lite, arch, None, seed=0), arch), arch)[0]
    assert shared_stages([trunks[0], everything]) == 0

    torch.manual_seed(2)
    head = RegressionHead(1280, (16,), 0.5).eval()
    image = torch.randn(3, 32, 32)
    methods = {
        "mpm": {"patch_sizes": [3, 9], "stride": 4, "batch_size": 32},
        "lime": {"n_segments": 10, "num_samples": 40, "seed": 0, "batch_size": 16},
    }
    maps = randomization_maps(lite, arch, head, None, head, {"x": image}, methods, [2, None], seed=0)
    maps = maps.set_index(["method", "level"])["map"]
    fresh = reinitialized_head(head, 0)
    own = {
        level: SharedTrunkVariants(*split_backbone(m, arch), [fresh]).eval()
        for level, m in zip(("original", "top2"), folded)
    }
    own["original"] = SharedTrunkVariants(*split_backbone(folded[0], arch), [head]).eval()
    for method, cfg in methods.items():
        for level, variants in own.items():
            who = ExplainedVariants(arch, "test", "x", (0,))  # the variant's LIME draw, as the checks use
            alone = explain_variants(method, variants, image, cfg, who)[0]["map"]
            np.testing.assert_allclose(maps.loc[(method, level)].ravel(), alone, rtol=1e-5, atol=1e-6)
    branched = BranchedTrunkVariants(list(own.values()), n_stages - 1)
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        np.testing.assert_allclose(branched(x), torch.cat([v(x) for v in own.values()], dim=1), rtol=1e-5, atol=1e-6)
