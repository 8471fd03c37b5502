"""SBS channel pruning of every seed of one architecture (regime test: on the explanation set;
regime val: Experiment 3 heads on their own validation sets)."""

import torch

from authxai.data.adapters import IMAGES
from authxai.errors import require_finite
from authxai.models.backbones import build_backbone, get_spec, split_backbone
from authxai.models.features import load_features, rows_for
from authxai.models.heads import load_head
from authxai.progress import Progress
from authxai.pruning import save_pruning, sbs_fast
from authxai.splits import regime_images
from authxai.tables import read_parquet
from authxai.workflow import log, run_script


def main(smk):
    arch = smk.wildcards.arch
    spec = get_spec(arch)
    tensors, ids, _ = load_features(smk.input.features)
    mos = read_parquet(smk.input.images, IMAGES).set_index("image_id")["mos_authenticity"]
    splits = read_parquet(smk.input.splits)
    _, tail = split_backbone(build_backbone(arch, smk.params.weights), arch)
    progress = Progress(f"{arch} SBS pruning ({smk.wildcards.regime}): heads", len(smk.params.seeds))
    for seed, head_path, out in zip(smk.params.seeds, smk.input.heads, smk.output):
        wanted = regime_images(splits, smk.wildcards.regime, seed)
        rows = rows_for(ids, wanted)
        aux = tensors["aux"][rows] if "aux" in tensors else None
        y = torch.tensor(mos.loc[wanted].to_numpy(), dtype=torch.float32)
        res = sbs_fast(
            tensors["act"][rows], aux, tail, load_head(head_path), y, spec.channel_local, smk.params.max_steps
        )
        require_finite(res.rmse_path, f"{arch} seed {seed} SBS pruning ({smk.wildcards.regime}) RMSE path")
        log.info(
            "%s seed %d: removed %d of %d channels, RMSE %.3f -> %.3f",
            arch,
            seed,
            len(res.removed),
            res.n_channels,
            res.rmse_path[0],
            res.rmse_path[-1],
        )
        save_pruning(res, out, smk.config, arch=arch, seed=seed, regime=smk.wildcards.regime, n_images=len(rows))
        progress.advance()
    progress.close()


run_script(main, snakemake)  # noqa: F821
