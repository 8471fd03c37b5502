"""Trunk activations + embeddings of every kept image for one architecture."""

from pathlib import Path

from authxai.data.adapters import IMAGES
from authxai.models.backbones import pick_device
from authxai.models.features import extract_features, save_features
from authxai.tables import read_parquet
from authxai.workflow import log, run_script


def main(smk):
    images = read_parquet(smk.input.images, IMAGES)
    kept = images[images["kept"]].sort_values("image_id")
    device = pick_device(smk.params.device)
    log.info("%s on %s: %d kept images, preprocess %s", smk.wildcards.arch, device, len(kept), smk.params.preprocess)
    paths = [Path(smk.params.root) / p for p in kept["path"]]
    tensors = extract_features(
        smk.wildcards.arch,
        paths,
        list(kept["image_id"]),
        batch_size=smk.params.batch_size,
        weights=smk.params.weights,
        device=device,
        **smk.params.preprocess,
    )
    save_features(tensors, list(kept["image_id"]), smk.output.features, smk.wildcards.arch, smk.config)


run_script(main, snakemake)  # noqa: F821
