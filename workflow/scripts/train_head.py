"""Train the regression heads of one architecture, one per seed, from the feature cache."""

from authxai.data.adapters import IMAGES
from authxai.errors import require_finite
from authxai.models.backbones import get_spec
from authxai.models.features import load_features
from authxai.models.heads import save_head
from authxai.models.training import head_training_settings, role_tensors, train_head
from authxai.progress import Progress
from authxai.tables import read_parquet, write_parquet
from authxai.workflow import run_script


def main(smk):
    arch, experiment, cfg = smk.wildcards.arch, smk.wildcards.experiment, smk.params.training
    tensors, ids, _ = load_features(smk.input.features, keys=("embedding",))
    mos = read_parquet(smk.input.images, IMAGES).set_index("image_id")["mos_authenticity"]
    splits = read_parquet(smk.input.splits)
    progress = Progress(f"{arch} {experiment} heads", len(smk.params.seeds))
    for seed, head_path, history_path in zip(smk.params.seeds, smk.output.heads, smk.output.histories):
        data = role_tensors(tensors["embedding"], ids, mos, splits, experiment, seed)
        head, history = train_head(
            *data["train"],
            *data["val"],
            hidden=get_spec(arch).head_hidden,
            seed=seed,
            **head_training_settings(cfg),
        )
        require_finite(history[["train_mse", "val_mse"]], f"{arch} {experiment} seed {seed} head training losses")
        write_parquet(history.assign(arch=arch, experiment=experiment, seed=seed), history_path, smk.config)
        save_head(head, head_path, {"arch": arch, "experiment": experiment, "seed": str(seed)})
        progress.advance()
    progress.close()


run_script(main, snakemake)  # noqa: F821
