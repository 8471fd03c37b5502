"""Appendix table: the unpruned heads vs their SBS-pruned variants on the fixed test images,
per pruning regime and architecture, with the share of channels removed and how many SBS runs
stopped at the pruning.max_steps cap."""

import pandas as pd

from authxai.evaluation import head_predictions, pruning_table
from authxai.models.features import load_features
from authxai.models.heads import load_head
from authxai.pruning import load_pruning
from authxai.tables import read_parquet, read_parquets, write_markdown_and_csv, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    mos = read_parquet(smk.input.images).set_index("image_id")["mos_authenticity"]
    splits = read_parquet(smk.input.splits)
    heads, records = iter(smk.input.heads), iter(smk.input.pruning)
    frames, shares = [read_parquets(smk.input.variants).assign(heads="pruned")], []
    for arch, features in zip(smk.params.archs, smk.input.features):
        tensors, ids, _ = load_features(features, keys=("embedding",))
        for regime, experiment in smk.params.regimes.items():
            trained = {seed: load_head(next(heads)) for seed in smk.params.seeds}
            roles = splits[splits["experiment"] == experiment]
            unpruned = head_predictions(tensors["embedding"], ids, trained, roles, mos)
            frames.append(unpruned.assign(arch=arch, regime=regime, heads="unpruned"))
            for _ in smk.params.seeds:
                record = load_pruning(next(records))
                removed = len(record["removed"])
                shares.append(
                    {
                        "regime": regime,
                        "arch": arch,
                        "seed": record["seed"],
                        "removed": removed,
                        "removed_share": removed / record["n_channels"],
                    }
                )
    predictions = pd.concat(frames, ignore_index=True).drop(columns="embedding")
    table = pruning_table(predictions, pd.DataFrame(shares), smk.params.n_boot, smk.params.seed, smk.params.max_steps)
    log.info("unpruned vs pruned heads\n%s", table.to_string(index=False))
    write_parquet(predictions, smk.output.predictions, smk.config)
    write_markdown_and_csv(table, smk.output.tableA_pruning_csv.removesuffix(".csv"))


run_script(main, snakemake)  # noqa: F821
