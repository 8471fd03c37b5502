"""Sanity checks of every method on one architecture: maps of one variant and of its
randomized versions (head, backbone cascade, permuted ratings), and their similarity."""

from pathlib import Path

import pandas as pd

from authxai.attribution.variants import load_variants
from authxai.data.adapters import IMAGES
from authxai.errors import require_finite
from authxai.models.backbones import get_spec, pick_device
from authxai.models.features import load_features, load_image
from authxai.models.training import head_training_settings, role_tensors, train_head
from authxai.sanity import permuted_targets, randomization_maps, randomization_similarity
from authxai.tables import read_parquet, write_parquet
from authxai.workflow import log, run_script


def permuted_head(smk, arch: str, seed: int):
    """The variant's head architecture trained (same split, same seed) on shuffled ratings."""
    tensors, ids, _ = load_features(smk.input.features, keys=("embedding",))
    mos = read_parquet(smk.input.metadata, IMAGES).set_index("image_id")["mos_authenticity"]
    data = role_tensors(tensors["embedding"], ids, mos, read_parquet(smk.input.splits), smk.params.experiment, seed)
    (x_train, y_train), (x_val, y_val) = data["train"], data["val"]
    head, _ = train_head(
        x_train,
        permuted_targets(y_train, seed),
        x_val,
        permuted_targets(y_val, seed + 1),
        hidden=get_spec(arch).head_hidden,
        seed=seed,
        **head_training_settings(smk.params.training),
    )
    return head


def main(smk):
    arch, device, cfg = smk.wildcards.arch, pick_device(smk.params.device), smk.params.sanity
    variants, (record,) = load_variants(
        arch, smk.input.heads, smk.input.pruning, device, smk.params.weights, fold=False
    )
    data_head = permuted_head(smk, arch, record["seed"]).to(device)
    table = read_parquet(smk.input.images).set_index("image_id")
    images = {
        i: load_image(Path(smk.params.root) / table.loc[i, "path"], **smk.params.preprocess).to(device)
        for i in smk.params.explain
    }
    cascade = [None if depth == "all" else int(depth) for depth in cfg["cascade"]]
    maps = randomization_maps(
        variants.trunk.model,
        arch,
        variants.heads[0],
        variants.masks[0],
        data_head,
        images,
        smk.params.methods,
        cascade,
        seed=smk.params.seed,
        variant_seed=record["seed"],
        precisions=smk.params.precisions,
    )
    for row in maps.itertuples():
        require_finite(row.map, f"sanity {row.method} map of {arch} ({row.level}) on {row.image_id}")
    similarity = randomization_similarity(maps).assign(arch=arch, seed=record["seed"], threshold=cfg["threshold"])
    log.info(
        "%s: similarity to the original maps\n%s",
        arch,
        similarity.groupby(["method", "level"], sort=False)[["spearman_abs", "ssim"]].mean().to_string(),
    )
    maps = maps.assign(arch=arch, height=[m.shape[0] for m in maps["map"]], width=[m.shape[1] for m in maps["map"]])
    maps["map"] = [m.astype("float32").ravel().tolist() for m in maps["map"]]
    write_parquet(similarity, smk.output.similarity, smk.config)
    write_parquet(pd.DataFrame(maps), smk.output.maps, smk.config)


run_script(main, snakemake)  # noqa: F821
