"""Every Experiment 2 variant's prediction of the explained images with and without each of
their planted artifacts (rendered in memory), for one architecture."""

from functools import partial
from pathlib import Path

import pandas as pd

from authxai.attribution.variants import load_variants
from authxai.counterfactual import COLUMNS, check_rendering, image_counterfactuals
from authxai.data.synthetic import StudySettings, is_non_realistic, plan_study
from authxai.errors import require_finite
from authxai.models.backbones import pick_device
from authxai.models.features import model_input
from authxai.progress import Progress
from authxai.tables import read_parquet, write_parquet
from authxai.workflow import log, run_script


def main(smk):
    wc, device = smk.wildcards, pick_device(smk.params.device)
    settings = StudySettings(**smk.params.settings)
    plan = plan_study(settings)[0].set_index("image_id", drop=False)
    images = read_parquet(smk.input.images).set_index("image_id")
    variants, records = load_variants(wc.arch, smk.input.heads, smk.input.pruning, device, smk.params.weights)
    seeds = [rec["seed"] for rec in records]
    to_input = partial(model_input, **smk.params.preprocess)
    roles = {image: role for role, ids in smk.params.images.items() for image in ids}
    tables, progress = [], Progress(f"{wc.arch} counterfactuals: images", len(roles))
    for image_id, role in roles.items():
        row = plan.loc[image_id]
        table, full = image_counterfactuals(
            variants, row, settings.image_size, is_non_realistic(row), to_input, seeds, device
        )
        # the counterfactuals must be of the pixels the heads were trained and explained on
        check_rendering(full, Path(smk.params.root) / images.loc[image_id, "path"])
        tables.append(table.assign(arch=wc.arch, role=role))
        progress.advance()
    progress.close()
    out = pd.concat(tables, ignore_index=True)[list(COLUMNS)]
    require_finite(out[["prediction", "prediction_without"]].to_numpy(), f"{wc.arch} counterfactual predictions")
    removed = out[out["artifact"] != "all"]
    log.info(
        "%s: %d images, %d artifacts removed, %d variants; mean |effect| per artifact:\n%s",
        wc.arch,
        len(roles),
        len(removed) // len(seeds),
        len(seeds),
        removed.groupby("artifact")["effect"].apply(lambda e: e.abs().mean()).to_string(),
    )
    write_parquet(out, smk.output[0], smk.config)


run_script(main, snakemake)  # noqa: F821
