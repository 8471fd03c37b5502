"""Table 7: bagging and stacking of every pruned (regime val) variant on the global test set,
next to the single architectures; the stacking weights for the ensemble attributions."""

import json

import numpy as np
import pandas as pd

from authxai.ensemble import bagging, stacking_oof, stacking_weights
from authxai.evaluation import image_bootstrap_ci, mean_sd, regression_metrics, with_ci
from authxai.tables import atomic_path, provenance, read_parquet, write_markdown_and_csv, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    variants = pd.concat([read_parquet(p) for p in smk.input.variants], ignore_index=True)
    test = variants[variants["role"] == "test"]
    wide = test.pivot_table(index="image_id", columns=["arch", "seed"], values="y_hat").sort_index(axis=1)
    y = test.groupby("image_id")["y"].first().loc[wide.index].to_numpy()
    x = wide.to_numpy()
    cfg = smk.params.settings
    ens = {
        "bagging": bagging(x),
        "stacking": stacking_oof(x, y, cfg["folds"], smk.params.seed, cfg["alpha"]),
    }
    rows = []
    metrics = ("rmse", "plcc", "srcc")
    n_boot, seed = smk.params.n_boot, smk.params.seed
    for arch in smk.params.archs:
        per_variant = [regression_metrics(y, wide[(arch, s)].to_numpy()) for s in wide[arch].columns]
        rows.append(
            {"model": arch, "variants": len(per_variant)}
            | {
                k: with_ci(
                    mean_sd([m[k] for m in per_variant]), *image_bootstrap_ci(y, wide[arch].to_numpy(), k, n_boot, seed)
                )
                for k in metrics
            }
            | {f"{k}_mean": float(np.mean([m[k] for m in per_variant])) for k in metrics}
        )
    for name, pred in ens.items():
        m = regression_metrics(y, pred)
        rows.append(
            {"model": name, "variants": x.shape[1]}
            | {k: with_ci(f"{m[k]:.3f}", *image_bootstrap_ci(y, pred, k, n_boot, seed)) for k in metrics}
            | {f"{k}_mean": m[k] for k in metrics}
        )
    table = pd.DataFrame(rows)
    log.info("Table 7 on %d global test images\n%s", len(y), table.to_string(index=False))
    write_markdown_and_csv(table, smk.output.table7_ensembles_csv.removesuffix(".csv"))
    write_parquet(pd.DataFrame({"image_id": wide.index, "y": y, **ens}), smk.output.predictions, smk.config)
    weights = stacking_weights(x, y, cfg["alpha"])
    record = {
        "variants": [{"arch": a, "seed": int(s)} for a, s in wide.columns],
        "weights": weights.weights.tolist(),
        "intercept": weights.intercept,
        "alpha": cfg["alpha"],
        "provenance": provenance(smk.config),
    }
    target, tmp = atomic_path(smk.output.stacking)
    tmp.write_text(json.dumps(record, indent=1))
    tmp.replace(target)


run_script(main, snakemake)  # noqa: F821
