"""Bagging and stacking maps of one image from the variants' attributions (no backbone run):
MPM as the weighted sum of raw drops, LIME refit on the combined perturbation outputs."""

import numpy as np
import pandas as pd

from authxai.attribution.maps import drops_array, flat, flat_per_scale
from authxai.ensemble import ensemble_lime, ensemble_mpm, ensemble_weights, load_stacking
from authxai.errors import require_finite
from authxai.tables import read_parquet, write_parquet
from authxai.workflow import run_script


def main(smk):
    rows = pd.concat([read_parquet(p) for p in smk.input.maps], ignore_index=True)
    meta, order = load_stacking(smk.input.stacking)
    rows = rows.set_index(["arch", "seed"]).loc[order].reset_index()
    height, width = int(rows["height"].iloc[0]), int(rows["width"].iloc[0])
    out = []
    for kind in ("bagging", "stacking"):
        weights = ensemble_weights(kind, len(rows), meta)
        if smk.wildcards.method == "mpm":
            drops = np.stack([drops_array(row, np.float64) for _, row in rows.iterrows()])
            combined = ensemble_mpm(drops, weights)
            extra = {"map": combined.mean(axis=0), "drops": flat_per_scale(combined, np.float64)}
            extra["patch_sizes"] = list(rows["patch_sizes"].iloc[0])
        else:
            intercept = meta.intercept if kind == "stacking" else 0.0
            res = ensemble_lime(rows.to_dict("records"), weights, intercept)
            extra = {"map": res.map, "r2": res.r2, "coefficients": res.coefficients.tolist()}
        require_finite(extra["map"], f"{kind} {smk.wildcards.method} map of {smk.wildcards.image}")
        out.append(
            {
                "kind": kind,
                "method": smk.wildcards.method,
                "image_id": smk.wildcards.image,
                "height": height,
                "width": width,
                "n_variants": len(rows),
                **extra,
                "map": flat(extra["map"]),
            }
        )
    write_parquet(pd.DataFrame(out), smk.output[0], smk.config)


run_script(main, snakemake)  # noqa: F821
