"""Predictions of every variant of one architecture on all kept images + test metrics."""

import pandas as pd

from authxai.data.adapters import IMAGES
from authxai.errors import require_finite
from authxai.evaluation import variant_metrics
from authxai.models.features import load_features, rows_for
from authxai.models.heads import load_head
from authxai.models.training import predict
from authxai.tables import read_parquet, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    arch = smk.wildcards.arch
    tensors, ids, _ = load_features(smk.input.features, keys=("embedding",))
    images = read_parquet(smk.input.images, IMAGES).set_index("image_id")
    splits = read_parquet(smk.input.splits)
    frames = []
    for seed, head_path in zip(smk.params.seeds, smk.input.heads):
        mine = splits[(splits["seed"] == seed) & (splits["experiment"] == "exp12")]
        y_hat = predict(load_head(head_path), tensors["embedding"][rows_for(ids, mine["image_id"].to_numpy())])
        require_finite(y_hat, f"{arch} seed {seed} head predictions (evaluate)")
        frames.append(
            pd.DataFrame(
                {
                    "arch": arch,
                    "seed": seed,
                    "image_id": mine["image_id"].to_numpy(),
                    "role": mine["role"].to_numpy(),
                    "y": images.loc[mine["image_id"], "mos_authenticity"].to_numpy(),
                    "quality": images.loc[mine["image_id"], "mos_quality"].to_numpy(),
                    "y_hat": y_hat,
                }
            )
        )
    predictions = pd.concat(frames, ignore_index=True)
    metrics = variant_metrics(predictions)
    log.info("%s test metrics per variant\n%s", arch, metrics.to_string(index=False))
    write_parquet(predictions, smk.output.predictions, smk.config)
    write_parquet(metrics, smk.output.metrics, smk.config)


run_script(main, snakemake)  # noqa: F821
