"""Which scorecard conclusions hold in two runs of the study, side by side.

The README's robustness table compares the embedded default (many images, CPU-budget attribution
settings) with ``config/embedded_full.yaml`` (the paper's MPM and LIME settings at 224 px, on a
few images). Each conclusion is one the scorecard paragraph draws from CIs
(:func:`authxai.scorecard.scorecard_reading`), read back from a finished run's Table 9 (and
Table 10 where the run has one)::

    python -m authxai.robustness default=results full=../full/results
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from authxai.errors import InputError
from authxai.models.backbones import arch_label
from authxai.scorecard import ci_above, consistent_but_worse, control_rows, trained_rows


def _rows(rows: pd.DataFrame, card: pd.DataFrame) -> str:
    """ "lime lite0, mpm lite1" (architectures by their display label, :attr:`ArchSpec.label`),
    or "all" when ``rows`` are every row of ``card``."""
    if len(rows) and len(rows) == len(card):
        return f"all {len(card)}"
    names = [f"{r.method} {arch_label(str(r.arch))}" for r in rows.itertuples()]
    return ", ".join(names) if names else "none"


def scorecard_conclusions(card: pd.DataFrame, variance: pd.DataFrame | None = None) -> pd.Series:
    """Conclusion -> the trained rows (method and architecture) or architectures it holds for.

    ``card`` is Table 9 as written (``results/tables/table9_scorecard.csv``: ``<score>_mean``,
    ``_low``, ``_high``, ``sanity`` and ``control``); ``variance`` is Table 10's (``arch``,
    ``r2_low``, ``r2_high``). Bars as in the scorecard paragraph: CIs above 0.5 (consistency,
    AUROC) or 0, and the paired differences from the control above 0. Control rows are the null:
    they are never counted.
    """
    card = card.assign(**{score: card[f"{score}_mean"] for score in ("within_r", "auroc") if f"{score}_mean" in card})
    trained = trained_rows(card)
    controls = set(card["arch"]) - set(trained["arch"])
    out = {
        "within-architecture r: CI above 0.5": _rows(ci_above(trained, "within_r", 0.5), trained),
        "cue AUROC: CI above 0.5": _rows(ci_above(trained, "auroc", 0.5), trained),
    }
    for score, label in (("auroc", "cue AUROC"), ("cf_agreement", "rank r"), ("faithfulness_gap", "gap")):
        if f"{score}_vs_control_low" in card:
            out[f"{label} above the control (paired CI)"] = _rows(
                ci_above(trained, f"{score}_vs_control", 0.0), trained
            )
    if controls and "auroc_low" in card:
        out["the control's cue AUROC: CI above 0.5"] = (
            "yes" if len(ci_above(control_rows(card), "auroc", 0.5)) else "no"
        )
    out["best localizer (highest cue AUROC)"] = _rows(trained.loc[[trained["auroc"].idxmax()]], trained)
    if "cf_agreement_low" in card and card["cf_agreement_low"].notna().any():
        out["counterfactual rank r: CI above 0"] = _rows(ci_above(trained, "cf_agreement", 0.0), trained)
    out["faithfulness gap: CI above 0"] = _rows(ci_above(trained, "faithfulness_gap", 0.0), trained)
    out["sanity checks passed"] = _rows(trained[trained["sanity"].str.startswith("pass")], trained)
    worse, _ = consistent_but_worse(card)
    out["a most consistent map localizes worse than the best (AUROC CIs apart)"] = _rows(worse, trained)
    if variance is not None and len(variance):
        variance = variance[~variance["arch"].isin(controls)]
        archs = lambda rows: ", ".join(arch_label(a) for a in rows["arch"]) or "none"  # noqa: E731
        out["the heads use the cues: R² CI above 0"] = archs(variance[variance["r2_low"] > 0])
        out["the cues carry most of it: R² CI above 0.5"] = archs(variance[variance["r2_low"] > 0.5])
    return pd.Series(out)


def run_conclusions(results: str | Path) -> pd.Series:
    """:func:`scorecard_conclusions` of a finished run's ``results`` folder."""
    tables = Path(results) / "tables"
    card_file = tables / "table9_scorecard.csv"
    if not card_file.is_file():
        raise InputError(f"{card_file} is missing: run the study (snakemake) in that checkout first")
    variance_file = tables / "table10_counterfactual.csv"
    variance = pd.read_csv(variance_file) if variance_file.is_file() else None
    return scorecard_conclusions(pd.read_csv(card_file), variance)


def side_by_side(runs: dict[str, str | Path]) -> pd.DataFrame:
    """One column per run (label -> results folder), one row per conclusion."""
    return pd.DataFrame({label: run_conclusions(path) for label, path in runs.items()}).fillna("—")


def main(argv: list[str]) -> None:
    runs = dict(arg.split("=", 1) if "=" in arg else (arg, arg) for arg in argv)
    if len(runs) < 1:
        raise SystemExit("usage: python -m authxai.robustness LABEL=RESULTS_DIR [LABEL=RESULTS_DIR ...]")
    print(side_by_side(runs).rename_axis("conclusion").reset_index().to_markdown(index=False))


if __name__ == "__main__":
    main(sys.argv[1:])
