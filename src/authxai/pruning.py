"""Sequential backward selection (SBS) of target-layer channels (paper Experiments 2–3).

Each iteration ablates every remaining channel (zeroing its output, which equals zeroing its
kernel and bias), picks the channel whose removal gives the lowest RMSE, removes it if the RMSE
drops, and stops otherwise.

:func:`sbs_naive` runs one tail + head forward per candidate. :func:`sbs_fast` uses that for
channel-local tails (EfficientNet, ResNet after the residual, DenseNet) ablating channel ``c``
changes one embedding coordinate only, so a candidate is a rank-1 update of the head's first
layer and all candidates of an iteration are one batched matrix product; VGG (channel ``c``
feeds 49 inputs of fc6) batches its candidates through the tail. Both select identical
channels; the head runs in float64 in both so near-ties resolve the same way.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from authxai.models.backbones import FAMILIES, Tail
from authxai.models.heads import RegressionHead
from authxai.tables import provenance, write_text


def save_pruning(result: PruneResult, path: str | Path, config: dict | None = None, **about: Any) -> None:
    """Write the pruning record of one variant (JSON, atomically, with provenance): ``about``
    says whose it is (arch, seed, regime, n_images); then channels, removals in order, kept
    channels and the RMSE path."""
    record = {
        **about,
        "n_channels": result.n_channels,
        "removed": result.removed,
        "kept": result.kept,
        "rmse_path": result.rmse_path,
        "provenance": provenance(config),
    }
    write_text(path, json.dumps(record))


def load_pruning(path: str | Path) -> dict:
    """A pruning record written by :func:`save_pruning`, with its channel ``mask`` (1 = kept)."""
    record = json.loads(Path(path).read_text())
    record["mask"] = PruneResult(record["n_channels"], record["removed"]).mask
    return record


@dataclass
class PruneResult:
    """Removed channels in order, the RMSE after each removal (first entry: unpruned)."""

    n_channels: int
    removed: list[int] = field(default_factory=list)
    rmse_path: list[float] = field(default_factory=list)

    @property
    def mask(self) -> torch.Tensor:
        m = torch.ones(self.n_channels)
        m[self.removed] = 0
        return m

    @property
    def kept(self) -> list[int]:
        gone = set(self.removed)
        return [c for c in range(self.n_channels) if c not in gone]


#: Relative width of the float32 screen's window: candidates whose float32 RMSE is within it of
#: the best are rescored in float64. The float32 scores sit within ~2e-7 (relative) of the
#: float64 ones (measured on the embedded study's heads: at most 1.1e-6 on RMSEs near 5), so
#: the window holds the true best with a 50x margin. (At 1e-4 it took every channel of the
#: random-init control, whose candidates differ by less than that, into float64: 3x the time.)
SCREEN_WINDOW = 1e-5


def _double(head: RegressionHead) -> RegressionHead:
    """A float64 copy of ``head`` in eval mode."""
    return copy.deepcopy(head).double().eval()


def _predict(head64: RegressionHead, emb: torch.Tensor) -> torch.Tensor:
    return head64(emb.double())[0]


def _pick(scores: torch.Tensor) -> int:
    """Index of the best candidate; exact ties (within float64 rounding of the two ways of
    computing them) go to the lowest channel, so the fast and naive paths agree."""
    best = float(scores.min())
    return int(torch.nonzero(scores <= best + 1e-12 * max(1.0, abs(best)))[0])


def _drops(best: float, current: float) -> bool:
    """Whether removing the best candidate lowers the RMSE by more than float64 rounding
    (exactly neutral channels, e.g. behind a dead ReLU, are kept, in both paths alike)."""
    return best < current - 1e-12 * max(1.0, abs(current))


def _rmse(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return torch.sqrt(((pred - y) ** 2).mean(dim=-1))


@torch.no_grad()
def sbs_naive(
    act: torch.Tensor,
    aux: torch.Tensor | None,
    tail: Tail,
    head: RegressionHead,
    y: torch.Tensor,
    max_steps: int | None = None,
) -> PruneResult:
    """Reference SBS: one full tail + head forward per candidate channel."""
    act = act.float()
    aux = None if aux is None else aux.float()
    y = y.double()
    h64 = _double(head)
    n = act.shape[1]
    res = PruneResult(n)
    mask = torch.ones(n)
    current = float(_rmse(_predict(h64, tail(act, aux, mask)), y))
    res.rmse_path.append(current)
    while len(res.removed) < n - 1 and (max_steps is None or len(res.removed) < max_steps):
        cands = [c for c in range(n) if mask[c] == 1]
        scores = torch.empty(len(cands), dtype=torch.float64)
        for i, c in enumerate(cands):
            trial = mask.clone()
            trial[c] = 0
            scores[i] = _rmse(_predict(h64, tail(act, aux, trial)), y)
        best_c, best = cands[_pick(scores)], float(scores.min())
        if not _drops(best, current):
            break
        mask[best_c] = 0
        current = best
        res.removed.append(best_c)
        res.rmse_path.append(current)
    return res


def channel_offset(act: torch.Tensor, aux: torch.Tensor | None, family: str) -> int:
    """Embedding coordinate of target channel 0 (DenseNet: after the concatenated aux channels)."""
    return aux.shape[1] if FAMILIES[family].aux_before_target else 0


@torch.no_grad()
def sbs_fast(
    act: torch.Tensor,
    aux: torch.Tensor | None,
    tail: Tail,
    head: RegressionHead,
    y: torch.Tensor,
    channel_local: bool = True,
    max_steps: int | None = None,
    chunk: int = 256,
) -> PruneResult:
    """SBS with batched candidates: rank-1 first-layer updates (channel-local tails) or a
    batched tail (VGG). Selects the same channels as :func:`sbs_naive`."""
    if not channel_local:
        return _sbs_batched_tail(act, aux, tail, head, y, max_steps, chunk=8)
    act = act.float()
    aux = None if aux is None else aux.float()
    y = y.double()
    n = act.shape[1]
    off = channel_offset(act, aux, tail.family)
    emb = tail(act, aux, torch.ones(n)).double()
    emb_zero = tail(act, aux, torch.zeros(n)).double()[:, off : off + n]
    h64 = _double(head)
    first64, rest64 = h64.body[0], torch.nn.Sequential(*list(h64.body)[1:])
    h32 = copy.deepcopy(h64).float()
    rest32 = torch.nn.Sequential(*list(h32.body)[1:])
    w_cols = first64.weight[:, off : off + n].T  # (n, hidden)
    h1 = first64(emb)  # (N, hidden), float64
    res = PruneResult(n)
    current = float(_rmse(h64.out(rest64(h1)).squeeze(-1), y))
    res.rmse_path.append(current)
    alive = torch.ones(n, dtype=torch.bool)

    def score(cs: torch.Tensor, out, rest, dtype) -> torch.Tensor:
        delta = (emb_zero[:, cs] - emb[:, off + cs]).T.to(dtype)  # (k, N)
        h1_c = h1.to(dtype)[None] + delta[:, :, None] * w_cols[cs].to(dtype)[:, None, :]  # (k, N, hidden)
        return _rmse(out(rest(h1_c)).squeeze(-1), y.to(dtype)[None]).double()

    while len(res.removed) < n - 1 and (max_steps is None or len(res.removed) < max_steps):
        cands = torch.nonzero(alive).squeeze(1)
        # Screen every candidate in float32 (half the cost), then rescore the near-best ones in
        # float64 so the choice is the naive loop's up to float64 rounding.
        coarse = torch.cat(
            [score(cands[lo : lo + chunk], h32.out, rest32, torch.float32) for lo in range(0, len(cands), chunk)]
        )
        near = cands[coarse <= coarse.min() + SCREEN_WINDOW * max(1.0, float(coarse.min()))]
        scores = score(near, h64.out, rest64, torch.float64)
        k = _pick(scores)
        if not _drops(float(scores.min()), current):
            break
        c = int(near[k])
        h1 = h1 + (emb_zero[:, c] - emb[:, off + c])[:, None] * w_cols[c][None]
        emb[:, off + c] = emb_zero[:, c]
        alive[c] = False
        current = float(scores[k])
        res.removed.append(c)
        res.rmse_path.append(current)
    return res


def _sbs_batched_tail(act, aux, tail, head, y, max_steps, chunk: int) -> PruneResult:
    """SBS for tails that mix channels (VGG): candidates batched through the tail."""
    act = act.float()
    y = y.double()
    h64 = _double(head)
    n, n_img = act.shape[1], act.shape[0]
    res = PruneResult(n)
    mask = torch.ones(n)
    current = float(_rmse(_predict(h64, tail(act, aux, mask)), y))
    res.rmse_path.append(current)
    while len(res.removed) < n - 1 and (max_steps is None or len(res.removed) < max_steps):
        cands = torch.nonzero(mask).squeeze(1)
        scores = torch.empty(len(cands), dtype=torch.float64)
        for lo in range(0, len(cands), chunk):
            cs = cands[lo : lo + chunk]
            masks = mask.repeat(len(cs), 1)
            masks[torch.arange(len(cs)), cs] = 0
            batch = (act[None] * masks[:, None, :, None, None]).reshape(-1, *act.shape[1:])
            emb = tail(batch, None).reshape(len(cs), n_img, -1)
            scores[lo : lo + len(cs)] = _rmse(_predict(h64, emb), y[None])
        k = _pick(scores)
        if not _drops(float(scores.min()), current):
            break
        mask[int(cands[k])] = 0
        current = float(scores[k])
        res.removed.append(int(cands[k]))
        res.rmse_path.append(current)
    return res
