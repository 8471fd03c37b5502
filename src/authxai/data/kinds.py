"""The dataset kinds (config ``dataset.kind``): one registry entry per kind, with what it can do.

The workflow and the checks ask a kind for its capabilities — does the workflow render its
images, do they carry masks of planted cues, does it ship published MOS — never for its name;
the config schema's enum of ``dataset.kind`` is this registry's keys. A new kind is one entry
here and its loader in :mod:`authxai.data.adapters`.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

import pandas as pd

from authxai.errors import InputError
from authxai.workflow import SYNTHETIC_COMBOS, SYNTHETIC_ROOT


@dataclass(frozen=True)
class DatasetKind:
    """One kind of dataset: how its metadata is read and what the pipeline can do with it.

    Parameters
    ----------
    name : str
        The ``dataset.kind`` value.
    description : str
        One line for the config schema and the docs.
    loader, lister : str
        The functions of :mod:`authxai.data.adapters` reading its metadata files
        (``loader(spec, base) -> (images, ratings)``) and listing them (``lister(spec, base)
        -> [Path]``, without the exclusion list); imported on use.
    rendered : bool
        The workflow renders the images itself (``synthesize_study``): they are planned in
        memory before the run, written to ``root`` with their own exclusion list
        ``combos_file``, and can be re-rendered without each planted cue (counterfactuals).
    cue_masks : bool
        Every image comes with a mask of where its planted cues are: maps are scored against
        them (localization).
    published_mos : bool
        Ships published MOS, so per-participant raw ratings are optional.
    root, combos_file : str or None
        Where a rendered kind is written and its exclusion list (None for other kinds).
    """

    name: str
    description: str
    loader: str
    lister: str
    rendered: bool = False
    cue_masks: bool = False
    published_mos: bool = False
    root: str | None = None
    combos_file: str | None = None

    @property
    def counterfactuals(self) -> bool:
        """Whether its images can be rendered without each planted cue (Table 10)."""
        return self.rendered and self.cue_masks

    def load(self, spec: dict, base: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The image table and long ratings of a ``dataset`` config block of this kind."""
        return getattr(import_module("authxai.data.adapters"), self.loader)(spec, base)

    def files(self, spec: dict, base: Path) -> list[Path]:
        """The metadata files a ``dataset`` config block of this kind reads."""
        return getattr(import_module("authxai.data.adapters"), self.lister)(spec, base)


#: ``dataset.kind`` -> its entry (the order is the schema enum's).
DATASET_KINDS: dict[str, DatasetKind] = {
    kind.name: kind
    for kind in (
        DatasetKind(
            "synthetic",
            "the embedded planted-cue study, which the workflow renders",
            "load_table_dataset",
            "table_dataset_files",
            rendered=True,
            cue_masks=True,
            root=SYNTHETIC_ROOT,
            combos_file=SYNTHETIC_COMBOS,
        ),
        DatasetKind(
            "aigciqa2023",
            "the AIGCIQA2023 release: the authors' MOS table, optional .mat MOS and raw ratings",
            "load_aigciqa2023",
            "aigciqa2023_files",
            published_mos=True,
        ),
        DatasetKind("table", "any lab's images + raw ratings files", "load_table_dataset", "table_dataset_files"),
    )
}


def get_kind(name: Any) -> DatasetKind:
    """The registry entry of ``dataset.kind`` = ``name``; a one-line :class:`InputError` else."""
    if name not in DATASET_KINDS:
        raise InputError(f"config dataset.kind = {name!r} is not one of {sorted(DATASET_KINDS)}")
    return DATASET_KINDS[name]


def kind_of(spec: dict) -> DatasetKind:
    """The kind of a ``dataset`` config block (``table`` where it names none)."""
    return get_kind(spec.get("kind", "table"))
