"""Table 7: every architecture's pruned (regime val) variants on the global test set with its
best variant, then bagging and stacking of the trained backbones' variants (and, labelled, of
the random-init control's: never pooled with the trained ones); the trained stacking weights
for the ensemble attributions."""

import pandas as pd

from authxai.ensemble import (
    ensemble_label,
    ensemble_pools,
    ensemble_predictions,
    predictions_on_test,
    save_stacking,
    stacking_weights,
    table7,
)
from authxai.errors import require_finite
from authxai.tables import read_parquets, write_markdown_and_csv, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    wide, y = predictions_on_test(read_parquets(smk.input.variants))
    cfg, seed, controls = smk.params.settings, smk.params.seed, smk.params.controls
    pools = ensemble_pools(wide, controls)
    ensembles = {
        pool: ensemble_predictions(members.to_numpy(), y, cfg["folds"], seed, cfg["alpha"])
        for pool, members in pools.items()
    }
    for pool, kinds in ensembles.items():
        for name, values in kinds.items():
            require_finite(values, f"{ensemble_label(name, pool)} ensemble predictions (regime val)")
    table = table7(wide, y, ensembles, smk.params.archs, controls, smk.params.n_boot, seed)
    log.info("Table 7 on %d global test images\n%s", len(y), table.to_string(index=False))
    write_markdown_and_csv(table, smk.output.table7_ensembles_csv.removesuffix(".csv"))
    columns = {ensemble_label(kind, pool): pred for pool, kinds in ensembles.items() for kind, pred in kinds.items()}
    write_parquet(pd.DataFrame({"image_id": wide.index, "y": y, **columns}), smk.output.predictions, smk.config)
    trained = pools["trained"]
    weights = stacking_weights(trained.to_numpy(), y, cfg["alpha"])
    require_finite([*weights.weights, weights.intercept], "stacking weights", "try ensemble.alpha: cv (ridge)")
    save_stacking(weights, list(trained.columns), cfg["alpha"], smk.output.stacking, smk.config)


run_script(main, snakemake)  # noqa: F821
