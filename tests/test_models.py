"""Backbones, trunk/tail split, weights, heads, splits, training and Experiment 1 statistics."""

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from authxai.errors import InputError
from authxai.evaluation import regression_metrics, table3, variant_metrics
from authxai.models import backbones as bb
from authxai.models.features import load_image
from authxai.models.heads import RegressionHead, load_head, n_parameters, save_head
from authxai.models.training import train_head
from authxai.splits import make_splits
from authxai.statistics import mean_pairwise_r, partial_r

PAPER_HEAD_PARAMS = {
    "resnet152": 1_114_881,
    "barlowtwins_resnet50": 1_114_881,
    "densenet161": 1_196_801,
    "efficientnet_b3": 852_737,
    "vgg16": 524_545,
    "vgg19": 524_545,
}


#: ResNet-152 takes ~10 s on 2 cores: the slow lane (its family is checked on ResNet-50 in the fast one).
HEAVY = {"resnet152"}


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in HEAVY else n for n in sorted(bb.REGISTRY)]
)
def test_tail_of_trunk_equals_the_unsplit_backbone(name):
    spec = bb.REGISTRY[name]
    torch.manual_seed(0)
    model = spec.build().eval()
    trunk, tail = bb.split_backbone(model, name)
    x = torch.randn(2, 3, 96, 96)
    seen = []
    hook = bb.target_module(model, name).register_forward_hook(lambda m, i, o: seen.append(o))
    with torch.no_grad():
        out = trunk(x)
        ref = bb.embedding(model, name, x)
        emb = tail(*out)
    hook.remove()
    assert emb.shape == (2, spec.embed_dim)
    torch.testing.assert_close(emb, ref, atol=1e-5, rtol=1e-5)
    # the trunk really ends at the registered target layer
    torch.testing.assert_close(out.act, seen[-1])
    # zeroing channels through the mask equals zeroing the target conv's output channels
    mask = torch.ones(out.act.shape[1])
    mask[:3] = 0
    zeroed = out.act.clone()
    zeroed[:, :3] = 0
    torch.testing.assert_close(tail(out.act, out.aux, channel_mask=mask), tail(zeroed, out.aux))


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in HEAVY else n for n in sorted(bb.REGISTRY)]
)
def test_folding_batchnorm_keeps_the_trunk_and_tail_outputs(name):
    """Folded and unfolded nets agree where the pipeline reads them (act, aux, the masked
    embedding) once BatchNorms hold real statistics and affine parameters; only the target
    conv's BatchNorm (the tail's first op) is left."""
    torch.manual_seed(0)
    model = bb.REGISTRY[name].build()
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        for m in norms:
            m.weight.uniform_(0.8, 1.2)
            m.bias.normal_(0, 0.1)
    bb.calibrate_batchnorm(model, x)  # statistics from data, as pretrained nets have them
    # float64: random deep nets amplify float32 rounding (ResNet-152's act moves ~2e-3 of its
    # scale with the summation order), which would hide what is checked here, the algebra
    model, x = model.eval().double(), x.double()
    folded = bb.fold_batchnorm(model, name)
    left = [m for m in folded.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert not norms or len(left) < len(norms), (len(left), len(norms))  # DenseNet keeps its norm1s
    assert [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)] == norms  # a copy
    mask = torch.ones(bb.target_module(model, name).out_channels, dtype=torch.float64)
    mask[:5] = 0
    outputs = []
    for net in (model, folded):
        trunk, tail = bb.split_backbone(net, name)
        with torch.no_grad():
            out = trunk(x)
            outputs.append((out.act, out.aux, tail(out.act, out.aux, mask)))
    for ref, got in zip(*outputs):
        if ref is None:
            assert got is None
            continue
        torch.testing.assert_close(got, ref, rtol=1e-9, atol=1e-9 * float(ref.abs().max()))


@pytest.mark.parametrize("name,count", sorted(PAPER_HEAD_PARAMS.items()))
def test_head_parameter_counts_match_the_paper(name, count):
    spec = bb.REGISTRY[name]
    assert n_parameters(RegressionHead(spec.embed_dim, spec.head_hidden)) == count


def test_paper_target_layers():
    layers = {n: bb.REGISTRY[n].target_layer for n in PAPER_HEAD_PARAMS}
    assert layers == {
        "vgg16": "features.28",
        "vgg19": "features.34",
        "resnet152": "layer4.2.conv3",
        "barlowtwins_resnet50": "layer4.2.conv3",
        "densenet161": "features.denseblock4.denselayer24.conv2",
        "efficientnet_b3": "features.8.0",
    }


def test_packaged_lite0_weights_are_real_imagenet_weights():
    import skimage.data
    from PIL import Image

    model = bb.build_backbone("efficientnet_lite0")
    path = "/tmp/authxai_chelsea.png"
    Image.fromarray(skimage.data.chelsea()).save(path)
    with torch.no_grad():
        logits = model(load_image(path, 256, 224)[None])
    assert int(logits.argmax()) == 281  # ImageNet "tabby cat"
    assert not model.training and not any(p.requires_grad for p in model.parameters())


def test_missing_weights_name_the_file(tmp_path):
    with pytest.raises(InputError, match="weights file not found.*models.weights") as info:
        bb.build_backbone("resnet152", tmp_path / "resnet152.pth")
    assert "resnet152.pth" in str(info.value)
    # without a configured file the default location in the torch hub cache is named
    with pytest.raises(InputError, match="checkpoints"):
        bb.load_weights(
            bb.REGISTRY["vgg16"].build(),
            bb.REGISTRY["vgg16"],
            bb.default_weights_path(bb.REGISTRY["vgg16"]).with_name("definitely-missing.pth"),
        )


def test_corrupt_or_foreign_checkpoint_is_one_line(tmp_path):
    bad = tmp_path / "broken.pth"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="unreadable checkpoint"):
        bb.build_backbone("efficientnet_lite0", bad)
    wrong = tmp_path / "wrong.pth"
    torch.save(RegressionHead(8, (4,)).state_dict(), wrong)
    with pytest.raises(InputError, match="do not fit efficientnet_lite0"):
        bb.build_backbone("efficientnet_lite0", wrong)


def test_head_round_trip_and_penultimate(tmp_path):
    head = RegressionHead(16, (8, 4)).eval()
    x = torch.randn(5, 16)
    save_head(head, tmp_path / "h.safetensors")
    again = load_head(tmp_path / "h.safetensors")
    pred, z = again(x)
    torch.testing.assert_close(pred, head(x)[0])
    assert z.shape == (5, 4)
    (tmp_path / "bad.safetensors").write_bytes(b"junk")
    with pytest.raises(InputError, match="unreadable head checkpoint"):
        load_head(tmp_path / "bad.safetensors")


def _images(n=300, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "image_id": [f"i{k:03d}" for k in range(n)],
            "kept": rng.random(n) < 0.8,
            "mos_authenticity": rng.normal(50, 8, n),
        }
    )


def test_splits_fixed_test_set_and_shares():
    images = _images()
    splits = make_splits(images, seeds=list(range(4)))
    kept = set(images.loc[images["kept"], "image_id"])
    for exp, (test_share, val_share) in {"exp12": (0.1, 0.2), "exp3": (0.2, 0.1)}.items():
        sub = splits[splits["experiment"] == exp]
        tests = [frozenset(g.loc[g["role"] == "test", "image_id"]) for _, g in sub.groupby("seed")]
        assert len(set(tests)) == 1  # one fixed test set shared by every seed
        trains = [frozenset(g.loc[g["role"] == "train", "image_id"]) for _, g in sub.groupby("seed")]
        assert len(set(trains)) == 4  # train/val redrawn per seed
        for _, g in sub.groupby("seed"):
            assert set(g["image_id"]) == kept and not g["image_id"].duplicated().any()
            shares = g["role"].value_counts(normalize=True)
            assert shares["test"] == pytest.approx(test_share, abs=0.01)
            assert shares["val"] == pytest.approx(val_share, abs=0.01)
    pd.testing.assert_frame_equal(splits, make_splits(images, seeds=list(range(4))))


def test_splits_are_stratified_on_mos():
    images = _images(1000)
    splits = make_splits(images, seeds=[0])
    test = splits[(splits["experiment"] == "exp12") & (splits["role"] == "test")]
    mos = images.set_index("image_id")["mos_authenticity"]
    kept = mos[images.set_index("image_id")["kept"]]
    # every MOS decile is represented in the test set in proportion
    deciles = pd.qcut(kept, 10, labels=False)
    counts = deciles.loc[test["image_id"]].value_counts()
    assert counts.min() >= 6 and counts.max() <= 10


def test_training_is_deterministic_and_restores_the_best_epoch():
    torch.manual_seed(0)
    x = torch.randn(200, 10)
    y = 50 + 5 * x[:, 0] + torch.randn(200)
    a, hist = train_head(x[:150], y[:150], x[150:], y[150:], (16,), seed=3, max_epochs=60, patience=5)
    b, _ = train_head(x[:150], y[:150], x[150:], y[150:], (16,), seed=3, max_epochs=60, patience=5)
    for k, v in a.state_dict().items():
        torch.testing.assert_close(v, b.state_dict()[k])
    with torch.no_grad():
        best_val = float(torch.nn.functional.mse_loss(a(x[150:])[0], y[150:]))
    assert best_val == pytest.approx(hist["val_mse"].min(), rel=1e-5)
    assert len(hist) < 60 or hist["val_mse"].idxmin() == 59  # stopped early or ran to the end
    assert stats.pearsonr(a(x[150:])[0].detach(), y[150:])[0] > 0.8  # it learned the signal


def test_partial_r_equals_residual_correlation():
    rng = np.random.default_rng(0)
    q = rng.normal(size=500)
    y = q + rng.normal(size=500)
    y_hat = 0.5 * q + 0.5 * y + rng.normal(size=500)
    res = lambda v: v - np.polyval(np.polyfit(q, v, 1), q)  # noqa: E731
    assert partial_r(y, y_hat, q) == pytest.approx(stats.pearsonr(res(y), res(y_hat))[0])


def test_metrics_reliability_and_table3():
    y = np.array([1.0, 2, 3, 4, 5])
    m = regression_metrics(y, y + np.array([0.2, -0.2, 0.2, -0.2, 0]))
    assert m["rmse"] == pytest.approx(np.sqrt(0.032)) and m["srcc"] == pytest.approx(1.0)
    rows = np.array([[1, 2, 3, 4.0], [1, 2, 3, 5.0], [4, 3, 2, 1.0]])
    pairs = [stats.pearsonr(rows[i], rows[j])[0] for i, j in ((0, 1), (0, 2), (1, 2))]
    assert mean_pairwise_r(rows) == pytest.approx(np.mean(pairs))
    rng = np.random.default_rng(1)
    frames = []
    for seed in range(5):
        q = rng.normal(50, 5, 40)
        yv = q + rng.normal(0, 3, 40)
        frames.append(
            pd.DataFrame(
                {
                    "arch": "a",
                    "seed": seed,
                    "image_id": range(40),
                    "role": "test",
                    "y": yv,
                    "quality": q,
                    "y_hat": yv + rng.normal(0, 2, 40),
                }
            )
        )
    metrics = variant_metrics(pd.concat(frames))
    t3 = table3(metrics).iloc[0]
    t, p = stats.ttest_1samp(metrics["partial_r"], 0)
    assert t3["t"] == pytest.approx(t) and t3["p"] == pytest.approx(p) and t3["df"] == 4


def test_random_control_is_the_same_network_in_every_job():
    a = bb.build_backbone("random_lite0").state_dict()
    torch.rand(5)  # global RNG state must not matter
    b = bb.build_backbone("random_lite0").state_dict()
    for k in a:
        torch.testing.assert_close(a[k], b[k])
    lite = bb.build_backbone("efficientnet_lite0").state_dict()
    assert not torch.equal(a["conv_head.weight"], lite["conv_head.weight"])


def _photo_paths(tmp_path, n=2):
    from PIL import Image

    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        paths.append(tmp_path / f"im{i}.png")
        Image.fromarray(rng.integers(0, 255, (72, 80, 3), dtype=np.uint8)).save(paths[-1])
    return paths


def test_feature_cache_holds_activations_past_the_float16_range(tmp_path):
    """Random-init ResNet-152 activations reach ~1e8: float16 (max 65,504) made every one inf and
    the embedding NaN; the float32 cache keeps them and equals the live trunk."""
    from safetensors.torch import save_file

    from authxai.models.features import extract_features

    torch.manual_seed(0)
    weights = tmp_path / "resnet152.safetensors"
    save_file(bb.REGISTRY["resnet152"].build().state_dict(), str(weights))
    paths = _photo_paths(tmp_path)
    tensors = extract_features("resnet152", paths, ["a", "b"], resize=64, crop=64, weights=str(weights))
    assert tensors["act"].dtype == torch.float32 and float(tensors["act"].abs().max()) > 65_504
    assert torch.isfinite(tensors["embedding"]).all()
    trunk, tail = bb.split_backbone(bb.build_backbone("resnet152", weights), "resnet152")
    with torch.no_grad():
        out = trunk(load_image(paths[1], 64, 64)[None])
    # at ~1e8, batched and single-image convolutions differ in float32's last bits: compare on
    # the activations' own scale
    scale = float(out.act.abs().max())
    torch.testing.assert_close(tensors["act"][1:], out.act, rtol=1e-4, atol=1e-5 * scale)
    emb = tail(out.act, out.aux)
    torch.testing.assert_close(tensors["embedding"][1:], emb, rtol=1e-4, atol=1e-5 * float(emb.abs().max()))


def test_non_finite_features_stop_with_one_line_naming_the_architecture(tmp_path):
    from authxai.models.features import extract_features

    state = bb.build_backbone("random_lite0").state_dict()
    state["bn2.running_var"] = torch.full_like(state["bn2.running_var"], float("nan"))
    weights = tmp_path / "broken.pth"
    torch.save(state, weights)
    with pytest.raises(
        InputError, match=r"random_lite0 features \(embeddings at conv_head\): \d+ of \d+ values are NaN"
    ):
        extract_features("random_lite0", _photo_paths(tmp_path), ["a", "b"], 64, 64, weights=str(weights))


def test_require_finite_counts_bad_values():
    from authxai.errors import require_finite

    require_finite(torch.ones(3), "fine")
    require_finite([1.0, 2.0], "fine")
    with pytest.raises(InputError, match=r"^x seed 1 maps: 2 of 4 values are NaN or infinite — fix it$"):
        require_finite(np.array([1.0, np.inf, np.nan, 0.0]), "x seed 1 maps", "fix it")
    with pytest.raises(InputError, match="1 of 2"):
        require_finite(torch.tensor([float("-inf"), 0.0]), "t")


def test_densenet_checkpoints_with_torchvision_legacy_keys_load(tmp_path):
    """The published densenet161-8d451a50.pth names layers ``norm.1`` (torchvision renames on load)."""
    torch.manual_seed(3)
    state = bb.REGISTRY["densenet161"].build().state_dict()
    legacy = {
        k.replace(".norm1.", ".norm.1.")
        .replace(".conv1.", ".conv.1.")
        .replace(".norm2.", ".norm.2.")
        .replace(".conv2.", ".conv.2."): v
        for k, v in state.items()
        if not k.endswith("num_batches_tracked")  # the published file predates it
    }
    assert "features.denseblock1.denselayer1.norm.1.weight" in legacy
    path = tmp_path / "densenet161-8d451a50.pth"
    torch.save(legacy, path)
    loaded = bb.build_backbone("densenet161", path).state_dict()
    torch.testing.assert_close(
        loaded["features.denseblock4.denselayer24.conv2.weight"],
        state["features.denseblock4.denselayer24.conv2.weight"],
    )


def test_a_barlow_twins_checkpoint_must_hold_the_whole_trunk(tmp_path):
    """Barlow Twins ships the ResNet-50 trunk without fc; a file missing trunk layers (another
    network's weights) must not load as a silently random backbone."""
    torch.manual_seed(0)
    state = bb.REGISTRY["barlowtwins_resnet50"].build().state_dict()
    trunk_only = tmp_path / "resnet50.pth"
    torch.save({k: v for k, v in state.items() if not k.startswith("fc.")}, trunk_only)
    loaded = bb.build_backbone("barlowtwins_resnet50", trunk_only).state_dict()
    torch.testing.assert_close(loaded["layer4.2.conv3.weight"], state["layer4.2.conv3.weight"])
    foreign = tmp_path / "vgg.pth"
    torch.save(RegressionHead(8, (4,)).state_dict(), foreign)
    with pytest.raises(InputError, match=r"do not fit barlowtwins_resnet50 \(\d+ keys differ, e.g. missing conv1"):
        bb.build_backbone("barlowtwins_resnet50", foreign)
