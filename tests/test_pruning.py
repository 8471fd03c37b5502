"""SBS pruning: the fast path selects exactly the naive loop's channels, for every tail family."""

import pytest
import torch

from authxai.models.backbones import REGISTRY, split_backbone
from authxai.models.heads import RegressionHead
from authxai.pruning import sbs_fast, sbs_naive


def _problem(name: str, n_images: int = 12, size: int = 64):
    spec = REGISTRY[name]
    torch.manual_seed(0)
    model = spec.build().eval().requires_grad_(False)
    trunk, tail = split_backbone(model, name)
    with torch.no_grad():
        out = trunk(torch.randn(n_images, 3, size, size))
    head = RegressionHead(spec.embed_dim, spec.head_hidden).eval()
    # targets of a network without 40 of its channels: removing (some of) them lowers the RMSE
    truth = torch.ones(out.act.shape[1])
    truth[torch.randperm(len(truth))[:40]] = 0
    with torch.no_grad():
        y = head(tail(out.act, out.aux, truth))[0] + torch.randn(n_images) * 1e-3
    return out, tail, head, y, spec


# One architecture per channel-local tail family: BN+act (lite), residual (ResNet), concat (DenseNet).
@pytest.mark.parametrize(
    "name", ["efficientnet_lite0", pytest.param("resnet152", marks=pytest.mark.slow), "densenet161"]
)
def test_fast_sbs_selects_the_naive_channels(name):
    out, tail, head, y, spec = _problem(name)
    naive = sbs_naive(out.act, out.aux, tail, head, y, max_steps=4)
    fast = sbs_fast(out.act, out.aux, tail, head, y, channel_local=spec.channel_local, max_steps=4)
    assert fast.removed == naive.removed and len(naive.removed) >= 1
    torch.testing.assert_close(torch.tensor(fast.rmse_path), torch.tensor(naive.rmse_path), rtol=1e-9, atol=1e-9)
    assert all(b < a for a, b in zip(naive.rmse_path, naive.rmse_path[1:]))  # RMSE drops at each removal


@pytest.mark.slow  # VGG-16's dense fc6 tail for every candidate channel
def test_vgg_batched_tail_selects_the_naive_channels():
    torch.manual_seed(0)
    model = REGISTRY["vgg16"].build().eval().requires_grad_(False)
    # VGG's fc6/fc7 mix every channel; a narrow classifier keeps the naive loop affordable
    model.classifier = torch.nn.Sequential(
        torch.nn.Linear(512 * 49, 32), torch.nn.ReLU(), torch.nn.Dropout(), torch.nn.Linear(32, 32), torch.nn.ReLU()
    ).eval()
    trunk, tail = split_backbone(model, "vgg16")
    with torch.no_grad():
        out = trunk(torch.randn(4, 3, 32, 32))
    head = RegressionHead(32, (8,)).eval()
    truth = torch.ones(512)
    truth[:40] = 0
    with torch.no_grad():
        y = head(tail(out.act, None, truth))[0]
    assert not REGISTRY["vgg16"].channel_local
    naive = sbs_naive(out.act, None, tail, head, y, max_steps=2)
    fast = sbs_fast(out.act, None, tail, head, y, channel_local=False, max_steps=2)
    assert fast.removed == naive.removed


def test_sbs_stops_when_no_removal_helps():
    out, tail, head, y, _ = _problem("efficientnet_lite0", n_images=6, size=32)
    res = sbs_fast(out.act, out.aux, tail, head, y, max_steps=None)
    with torch.no_grad():
        emb = tail(out.act, out.aux, res.mask)
        rmse = float(torch.sqrt(((head(emb)[0].double() - y.double()) ** 2).mean()))
    assert rmse == pytest.approx(res.rmse_path[-1], rel=1e-4, abs=1e-5)  # float32 head vs float64
    assert len(res.kept) + len(res.removed) == 1280 and len(res.removed) == len(res.rmse_path) - 1
    # stopped because no remaining channel lowers the RMSE any further
    follow = sbs_fast(out.act * res.mask.view(1, -1, 1, 1), out.aux, tail, head, y, max_steps=1)
    assert follow.removed == [] or follow.removed[0] in res.removed


def test_pruning_records_round_trip_with_their_mask(tmp_path):
    from authxai.pruning import PruneResult, load_pruning, save_pruning

    result = PruneResult(6, removed=[4, 1], rmse_path=[3.0, 2.5, 2.4])
    save_pruning(result, tmp_path / "r.json", {"seed": 7}, arch="vgg16", seed=2, regime="val", n_images=9)
    record = load_pruning(tmp_path / "r.json")
    assert (record["arch"], record["seed"], record["regime"], record["n_images"]) == ("vgg16", 2, "val", 9)
    assert record["removed"] == [4, 1] and record["kept"] == [0, 2, 3, 5] and record["rmse_path"] == [3.0, 2.5, 2.4]
    assert record["mask"].tolist() == [1, 0, 1, 1, 0, 1]
    assert record["provenance"]["config"] == {"seed": 7}
