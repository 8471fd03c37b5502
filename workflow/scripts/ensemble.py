"""Table 7: bagging and stacking of every pruned (regime val) variant on the global test set,
next to the single architectures and the best single variant; the stacking weights for the
ensemble attributions."""

import pandas as pd

from authxai.ensemble import ensemble_predictions, predictions_on_test, save_stacking, stacking_weights, table7
from authxai.errors import require_finite
from authxai.tables import read_parquets, write_markdown_and_csv, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    wide, y = predictions_on_test(read_parquets(smk.input.variants))
    cfg, seed = smk.params.settings, smk.params.seed
    ensembles = ensemble_predictions(wide.to_numpy(), y, cfg["folds"], seed, cfg["alpha"])
    for name, values in ensembles.items():
        require_finite(values, f"{name} ensemble predictions (regime val)")
    table = table7(wide, y, ensembles, smk.params.archs, smk.params.n_boot, seed)
    log.info("Table 7 on %d global test images\n%s", len(y), table.to_string(index=False))
    write_markdown_and_csv(table, smk.output.table7_ensembles_csv.removesuffix(".csv"))
    write_parquet(pd.DataFrame({"image_id": wide.index, "y": y, **ensembles}), smk.output.predictions, smk.config)
    weights = stacking_weights(wide.to_numpy(), y, cfg["alpha"])
    require_finite([*weights.weights, weights.intercept], "stacking weights", "try ensemble.alpha: cv (ridge)")
    save_stacking(weights, list(wide.columns), cfg["alpha"], smk.output.stacking, smk.config)


run_script(main, snakemake)  # noqa: F821
