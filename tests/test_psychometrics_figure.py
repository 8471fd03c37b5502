"""Figure 2C says what it plots: z-scores with raw ratings; MOS vs the published SD without."""

import matplotlib
import pytest

from authxai.data.adapters import empty_ratings
from authxai.figures.psychometrics import fig2_psychometrics
from authxai.psychometrics import psychometrics_tables
from authxai.tables import write_parquet

matplotlib.use("Agg")


@pytest.fixture
def mos_only_inputs(aigc_metadata, tmp_path):
    images, _ = aigc_metadata
    tables = psychometrics_tables(images, empty_ratings())
    paths = {"images": tmp_path / "metadata.parquet"}
    write_parquet(images, paths["images"])
    for name in ("mos_summary", "mean_sd"):
        paths[name] = tmp_path / f"{name}.parquet"
        write_parquet(tables[name], paths[name])
    return paths, tables["mean_sd"]


def test_fig2c_on_the_mos_only_path_plots_mos_against_the_published_sd(mos_only_inputs):
    import matplotlib.pyplot as plt

    paths, mean_sd = mos_only_inputs
    assert set(mean_sd["source"]) == {"mos"} and len(mean_sd) == 1368
    assert mean_sd["sd_z"].between(0, 4).all()  # the published SD is on the raw rating scale
    fig = fig2_psychometrics(paths)
    ax = fig.axes[2]
    assert ax.get_xlabel() == "authenticity MOS (0–100)"
    assert ax.get_ylabel() == "SD across participants (raw ratings)"
    assert "(z)" not in ax.get_xlabel() + ax.get_ylabel()
    assert ax.get_title().startswith("Authenticity: MOS vs SD")
    x, y = ax.collections[0].get_offsets().T
    assert sorted(x) == pytest.approx(sorted(mean_sd["mean_z"]))
    assert sorted(y) == pytest.approx(sorted(mean_sd["sd_z"]))
    plt.close(fig)
