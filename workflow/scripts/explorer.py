"""The explorer page (authxai.explorer): every map of the run, browsable offline."""

from authxai.explorer import build_explorer
from authxai.figures.common import ModelView, image_table
from authxai.tables import read_parquets
from authxai.workflow import log, run_script

#: What the page shows of the variants' predictions (the tables also hold embeddings).
PREDICTIONS = ["arch", "regime", "seed", "image_id", "y", "y_hat"]


def main(smk):
    tables = {
        "prototypes": read_parquets(smk.input.prototypes),
        "ensembles": read_parquets(smk.input.ensembles),
        "within": read_parquets(smk.input.within),
        "across": read_parquets(smk.input.across),
        "localization": read_parquets(smk.input.localization),
        "predictions": read_parquets(smk.input.variants, columns=PREDICTIONS),
    }
    view = ModelView.from_params(smk.params.view)
    sizes = build_explorer(
        smk.output.index,
        smk.output.data,
        image_table(smk.input.images),
        smk.params.roles,
        smk.params.maps,
        tables,
        view,
        smk.params.max_map_size,
        smk.config,
    )
    images = {k: v for k, v in sizes.items() if k != "index"}
    log.info(
        "explorer: %d images, %.1f MB of image data (%.0f kB per image, largest %.0f kB), index %.0f kB",
        len(images),
        sum(images.values()) / 1e6,
        sum(images.values()) / max(len(images), 1) / 1e3,
        max(images.values(), default=0) / 1e3,
        sizes["index"] / 1e3,
    )


run_script(main, snakemake)  # noqa: F821
