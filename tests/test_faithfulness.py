"""Deletion/insertion curves on a linear model, where the exact curves are known."""

import numpy as np
import pytest
import torch

from authxai.faithfulness import (
    curve_auc,
    faithfulness_curves,
    perturbed_images,
    relevance_order,
    step_counts,
    variant_faithfulness,
)


class LinearVariants(torch.nn.Module):
    """V linear "variants" f_v(x) = <W_v, x>: the exact attribution of pixel p is Σ_c W_v·x."""

    def __init__(self, weights: torch.Tensor) -> None:
        super().__init__()
        self.weights = weights  # (V, C, H, W)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.einsum("bchw,vchw->bv", x, self.weights)


@pytest.fixture
def linear_case():
    gen = torch.Generator().manual_seed(0)
    weights = torch.rand(2, 3, 8, 8, generator=gen, dtype=torch.float64)
    image = torch.rand(3, 8, 8, generator=gen, dtype=torch.float64) + 0.1
    contributions = (weights * image).sum(dim=1).numpy()  # (V, H, W), all positive
    return LinearVariants(weights), image, contributions


def test_curves_of_exact_attributions_equal_cumulative_contributions(linear_case):
    model, image, contributions = linear_case
    steps = 8
    counts = step_counts(64, steps)
    for v in range(len(contributions)):
        result = faithfulness_curves(model, image, contributions[v], steps=steps, batch_size=7)[v]
        flat = contributions[v].ravel()
        desc = np.concatenate([[0.0], np.cumsum(np.sort(flat)[::-1])])[counts]
        asc = np.concatenate([[0.0], np.cumsum(np.sort(flat))])[counts]
        np.testing.assert_allclose(result["deletion_morf"], desc, rtol=1e-9)
        np.testing.assert_allclose(result["deletion_lerf"], asc, rtol=1e-9)
        np.testing.assert_allclose(result["insertion_morf"], flat.sum() - desc, rtol=1e-9, atol=1e-12)
        assert result["deletion_morf_auc"] == pytest.approx(np.trapezoid(desc, dx=1 / steps))


def test_the_exact_map_beats_a_random_map_and_its_inverse(linear_case):
    model, image, contributions = linear_case
    rng = np.random.default_rng(1)
    exact = faithfulness_curves(model, image, contributions[0])[0]
    shuffled = faithfulness_curves(model, image, rng.permutation(contributions[0].ravel()).reshape(8, 8))[0]
    inverse = faithfulness_curves(model, image, 1.0 / contributions[0])[0]
    assert exact["deletion_morf_auc"] > shuffled["deletion_morf_auc"] > inverse["deletion_morf_auc"]
    assert exact["insertion_morf_auc"] < shuffled["insertion_morf_auc"] < inverse["insertion_morf_auc"]
    # least-relevant-first of the exact map is the most-relevant-first of its inverse
    assert exact["deletion_lerf_auc"] == pytest.approx(inverse["deletion_morf_auc"])


def test_a_coarse_map_is_upsampled_to_the_image(linear_case):
    model, image, _ = linear_case
    coarse = np.zeros((4, 4))
    coarse[0, 0] = 1.0
    results = faithfulness_curves(model, image, coarse, steps=4)
    assert len(results) == 2  # one per output of the model
    assert results[0]["deletion_morf"][0] == 0.0 and len(results[0]["deletion_morf"]) == 5


def test_perturbed_images_follow_the_order():
    image = torch.arange(1, 5, dtype=torch.float32).reshape(1, 2, 2)
    order = relevance_order(np.array([[0.1, -0.9], [0.5, 0.0]]))
    assert order.tolist() == [1, 2, 0, 3]
    deleted = perturbed_images(image, order, np.array([0, 1, 2, 4]), "deletion", baseline=-1.0)
    assert deleted[1].flatten().tolist() == [1, -1, 3, 4]
    assert deleted[2].flatten().tolist() == [1, -1, -1, 4]
    assert (deleted[3] == -1).all()
    inserted = perturbed_images(image, order, np.array([0, 1]), "insertion", baseline=0.0)
    assert inserted[0].abs().sum() == 0 and inserted[1].flatten().tolist() == [0, 2, 0, 0]
    with pytest.raises(ValueError, match="deletion"):
        perturbed_images(image, order, np.array([0]), "blur")


def test_curve_auc_is_the_trapezoid_over_fractions():
    assert curve_auc(np.array([0.0, 1.0])) == 0.5
    assert curve_auc(np.array([1.0, 1.0, 1.0])) == 1.0


def test_each_variant_is_scored_with_its_own_map(linear_case):
    model, image, contributions = linear_case
    own = variant_faithfulness(model, image, [contributions[0], contributions[1]], steps=8)
    for v in range(2):
        alone = faithfulness_curves(model, image, contributions[v], steps=8)[v]
        np.testing.assert_array_equal(own[v]["deletion_morf"], alone["deletion_morf"])
    # variant 1 with variant 0's map is scored on its own output: not the same curve
    swapped = variant_faithfulness(model, image, [contributions[1], contributions[0]], steps=8)
    assert not np.allclose(swapped[1]["deletion_morf"], own[1]["deletion_morf"])


def test_deletion_curve_matches_quantus_pixel_flipping(linear_case):
    """Quantus' PixelFlipping on a regression output: y_batch zeros, a (B, 1) output, softmax off.

    It deletes ``features_in_step`` features (pixel × channel values) per step, in the order of
    the map broadcast over channels, so every third of its 24 steps of 8 features has removed
    whole pixels: 8 more pixels each, our 8-step deletion curve (MoRF). Quantus reports f(x_k);
    ours is |f(x_k) − f(x)|.
    """
    import quantus

    model, image, contributions = linear_case
    single = LinearVariants(model.weights[:1].float()).eval()
    x = image[None].float()
    metric = quantus.PixelFlipping(
        features_in_step=8,
        perturb_baseline=0.0,
        normalise=False,
        disable_warnings=True,
        display_progressbar=False,
    )
    scores = metric(
        model=single,
        x_batch=x.numpy(),
        y_batch=np.zeros(1, dtype=int),
        a_batch=contributions[0][None, None].astype(np.float32),
        softmax=False,
        channel_first=True,
        device="cpu",
    )
    quantus_curve = np.asarray(scores[0], dtype=np.float64)
    assert quantus_curve.shape == (24,)
    ours = faithfulness_curves(single, x[0], contributions[0], steps=8)[0]["deletion_morf"]
    f_x = float(single(x)[0, 0])
    np.testing.assert_allclose(np.abs(quantus_curve[2::3] - f_x), ours[1:], rtol=1e-5, atol=1e-5)
