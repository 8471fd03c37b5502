"""Bagging and stacking maps of one image from the variants' attributions (no backbone run),
combined as the method's registry entry says (MPM: weighted raw drops; LIME: refit on the
combined perturbation outputs)."""

import pandas as pd

from authxai.attribution.maps import read_attributions
from authxai.attribution.methods import get_method
from authxai.ensemble import ensemble_map_rows, load_stacking
from authxai.tables import write_parquet
from authxai.workflow import run_script


def main(smk):
    rows = read_attributions(smk.input.maps, [smk.wildcards.image])
    stacking, order = load_stacking(smk.input.stacking)
    rows = rows.set_index(["arch", "seed"]).loc[order].reset_index()
    method = smk.wildcards.method
    out = ensemble_map_rows(rows.to_dict("records"), get_method(method).ensemble, stacking, method, smk.wildcards.image)
    write_parquet(pd.DataFrame(out), smk.output[0], smk.config)


run_script(main, snakemake)  # noqa: F821
