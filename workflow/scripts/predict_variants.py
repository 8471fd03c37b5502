"""Predictions and penultimate embeddings of every pruned variant of one architecture on all
kept images, from the feature cache (consistency: prediction/RSM similarity, MAE; ensembles)."""

import pandas as pd

from authxai.attribution.variants import cached_variant_outputs
from authxai.data.adapters import IMAGES
from authxai.errors import require_finite
from authxai.models.backbones import build_backbone, split_backbone
from authxai.models.features import load_features
from authxai.models.heads import load_head
from authxai.pruning import load_pruning
from authxai.splits import REGIMES
from authxai.tables import read_parquet, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    wc = smk.wildcards
    experiment = REGIMES[wc.regime][0]
    tensors, ids, _ = load_features(smk.input.features)
    images = read_parquet(smk.input.images, IMAGES).set_index("image_id").loc[ids]
    splits = read_parquet(smk.input.splits)
    _, tail = split_backbone(build_backbone(wc.arch, smk.params.weights), wc.arch)
    frames = []
    for head_path, prune_path in zip(smk.input.heads, smk.input.pruning):
        record = load_pruning(prune_path)
        pred, emb = cached_variant_outputs(
            tensors["act"], tensors.get("aux"), tail, load_head(head_path), record["mask"]
        )
        what = f"{wc.arch} seed {record['seed']} ({wc.regime}) pruned-variant"
        require_finite(pred, f"{what} predictions")
        require_finite(emb, f"{what} embeddings")
        roles = splits[(splits["seed"] == record["seed"]) & (splits["experiment"] == experiment)]
        frames.append(
            pd.DataFrame(
                {
                    "arch": wc.arch,
                    "regime": wc.regime,
                    "seed": record["seed"],
                    "image_id": ids,
                    "role": roles.set_index("image_id")["role"].reindex(ids).to_numpy(),
                    "y": images["mos_authenticity"].to_numpy(),
                    "y_hat": pred.numpy(),
                    "embedding": list(emb.numpy()),
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    log.info("%s %s: %d variants x %d images", wc.arch, wc.regime, table["seed"].nunique(), len(ids))
    write_parquet(table, smk.output[0], smk.config)


run_script(main, snakemake)  # noqa: F821
