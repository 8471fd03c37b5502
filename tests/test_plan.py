"""The plan of a run (authxai.plan) as plain Python: axes, explained images, stages, tables,
figures and the input functions, without Snakemake (a build takes ~0.1 s); and, through real
dry runs, that the workflow's jobs are those of the configurations before the plan existed."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import replace
from types import SimpleNamespace

import pytest
import yaml

from authxai.attribution import methods as method_registry
from authxai.data.adapters import metadata_for_dag
from authxai.errors import InputError
from authxai.plan import Plan, build_plan, flat_files, paths
from conftest import REPO, TINY_CONFIG, make_workdir, paper_workdir, run_snakemake


def _config(**changes) -> dict:
    """TINY_CONFIG with ``changes`` (``"a.b": value``) applied."""
    config = copy.deepcopy(TINY_CONFIG)
    for key, value in changes.items():
        *parents, last = key.split(".")
        node = config
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return config


@pytest.fixture(scope="module")
def tiny() -> Plan:
    return build_plan(TINY_CONFIG)


def test_explained_images_are_chunked_into_jobs(tiny):
    assert tiny.archs == ["efficientnet_lite0", "random_lite0"] and tiny.control_archs == ["random_lite0"]
    assert tiny.seeds == [0, 1] and tiny.regime_experiment == {"test": "exp12", "val": "exp3"}
    test = tiny.explained_images["test"]
    assert test == tiny.explained_test_images["test"] + tiny.explained_training_images and len(test) == 4
    # 3 images per job: the test regime's 4 images are a 3-image and a 1-image job (named after its image)
    chunks = tiny.attribution_chunks["test"]
    assert [len(images) for images in chunks.values()] == [3, 1] and list(chunks)[1] == test[3]
    assert all(tiny.chunk_of["test"][image] in chunks for image in test)
    assert set(tiny.sanity_images) <= set(tiny.explained_test_images["test"])


def test_stages_tables_and_figures_of_the_planted_cue_study(tiny):
    assert tiny.localization and tiny.counterfactual and tiny.ensemble and tiny.scorecard
    # the tiny study runs every registered method: each adds its within table and seed grid
    methods = list(method_registry.METHODS)
    assert tiny.within_methods == tiny.across_methods == tiny.methods == methods
    assert tiny.ensemble_methods == ["mpm", "lime"]  # Grad-CAM has no ensemble maps
    assert {"table8_localization", "table10_counterfactual", "table7b_ensemble_lime_vs_mpm"} <= set(tiny.tables)
    assert len(tiny.tables) == 15 + len(methods)
    assert len(tiny.figures) == DRY_RUN_JOBS["tiny"]["figure"]  # a figure job per file drawn
    assert {"fig_examples_random_lite0", "fig_seed_grid_lime", "fig6_consistency_vs_localization"} <= set(tiny.figures)
    outputs = tiny.all_outputs()
    assert paths.figure_file("fig5_ensemble_maps", "png") in outputs and paths.EXPLORER["index"] in outputs
    assert all(path.startswith("results/") for path in outputs) and len(outputs) == len(set(outputs))


def test_a_dataset_without_planted_cues_has_no_localization_or_counterfactuals():
    config = _config(**{"dataset": {"kind": "table", "root": "lab"}})
    plan = build_plan(config, metadata=metadata_for_dag(TINY_CONFIG["dataset"], TINY_CONFIG["synthetic"]))
    assert not (plan.localization or plan.counterfactual)
    assert not {"table8_localization", "table10_counterfactual"} & set(plan.tables)
    assert "fig6_consistency_vs_localization" not in plan.figures and "localization" not in plan.scorecard_inputs()
    assert plan.image_inputs() == [] and plan.image_files() == []  # no such files here


def test_stages_follow_regimes_archs_and_seeds():
    plan = build_plan(_config(**{"attribution.regimes": ["test"], "models.archs": ["efficientnet_lite0"]}))
    assert not (plan.ensemble or plan.ensemble_methods or plan.across_methods)
    assert "fig5_ensemble_maps" not in plan.figures and "fig3_across_arch" not in plan.figures
    assert not {"table7_ensembles", "tableA_across_prototypes"} & set(plan.tables)
    one_seed = build_plan(_config(**{"attribution.mpm": {"seeds": [1]}}))
    assert one_seed.method_seeds("mpm") == [1] and "mpm" not in one_seed.within_methods
    assert "mpm" not in one_seed.ensemble_methods and "table7b_ensemble_lime_vs_mpm" not in one_seed.tables
    heads = one_seed.regime_heads("mpm")(SimpleNamespace(regime="val", arch="random_lite0"))
    assert heads == [paths.head_file("exp3", "random_lite0", 1)]
    subset = build_plan(_config(**{"consistency.prototype_seeds": {"lime": [0]}}))
    assert subset.allvariant_methods == ["lime"] and subset.prototype_seeds("lime") == [0]


def test_a_methods_own_tables_come_with_it():
    """Tables about one method (Method.tables, compared_in) follow the methods that are run, not names."""
    lime_tables = {"tableA2_lime_fidelity", "table7c_ensemble_lime_fidelity", "table7b_ensemble_lime_vs_mpm"}
    no_lime = build_plan(_config(**{"attribution.methods": ["gradcam", "mpm"]}))
    assert not lime_tables & set(no_lime.tables)
    no_mpm = build_plan(_config(**{"attribution.methods": ["gradcam", "lime"]}))
    assert lime_tables - set(no_mpm.tables) == {"table7b_ensemble_lime_vs_mpm"}
    with pytest.raises(ValueError, match="'variants' or 'ensemble'"):
        replace(method_registry.METHODS["lime"], tables={"tableX": "everything"})


@pytest.mark.parametrize(
    ("changes", "start", "needle"),
    [
        ({"training.seeds": "ten"}, "config error: config key 'training.seeds'", "'ten'"),
        ({"attribution.mpm": {"seeds": [5]}}, "config error: attribution.mpm.seeds: [5]", "0..1"),
        ({"consistency.prototype_seeds": {"mpm": [3]}}, "config error: consistency.prototype_seeds.mpm", "[0, 1]"),
        ({"synthetic.n_images": 12}, "input error: dataset:", "kept"),
    ],
)
def test_bad_input_raises_one_line(changes, start, needle):
    with pytest.raises(InputError) as err:
        build_plan(_config(**changes))
    message = str(err.value)
    assert message.startswith(start) and needle in message and "\n" not in message, message


def test_input_functions_answer_without_snakemake(tiny):
    wc = SimpleNamespace(regime="test", arch="efficientnet_lite0", chunk=list(tiny.attribution_chunks["test"])[0])
    assert tiny.chunk_images(wc) == tiny.explained_images["test"][:3]
    assert tiny.chunk_runtime(5)(wc) == 15 and tiny.weights_input(wc) == []
    assert tiny.regime_pruning()(wc) == paths.pruning_files("test", "efficientnet_lite0", [0, 1])
    assert tiny.backbone_params("attribution")["preprocess"](wc) == {"resize": 64, "crop": 64}
    # every method's maps of the faithfulness images: whole chunk tables, each once
    maps = tiny.faithfulness_maps(wc)
    assert len(maps) == len(set(maps)) == len(tiny.methods)
    assert all("/test/efficientnet_lite0/" in path for path in maps)
    assert tiny.scorecard_inputs()["variance"] == paths.CF_VARIANCE
    explorer = tiny.explorer_inputs()
    assert set(explorer["maps"]) == {p for m in tiny.methods for p in tiny.explained_maps(m)}
    assert tiny.image_inputs() == [paths.SYNTHETIC_STUDY["pixels"], paths.SYNTHETIC_STUDY["masks"]]
    constraints = tiny.wildcard_constraints()
    assert re.fullmatch(constraints["figure"], "fig_seed_grid_mpm") and not re.fullmatch(constraints["method"], "gc")


def test_figures_get_their_inputs_grouped_and_snakemake_gets_the_files(tiny):
    fig5 = tiny.figures["fig5_ensemble_maps"]
    assert list(fig5["ensemble"]) == ["mpm", "lime"] and len(fig5["ensemble"]["mpm"]) == 2
    assert list(fig5["single"]["mpm"]) == tiny.archs
    files = tiny.figure_files(SimpleNamespace(figure="fig5_ensemble_maps"))
    assert files["images"] == paths.IMAGE_TABLE
    assert files["ensemble"] == [p for m in ("mpm", "lime") for p in fig5["ensemble"][m]]
    assert len(files["single"]) == len(set(files["single"])) == 4  # both images in one chunk table per (method, arch)
    assert tiny.figure_view(SimpleNamespace(figure="fig_examples_random_lite0"))["preprocess"] == {
        "random_lite0": {"resize": 64, "crop": 64}
    }
    assert tiny.figure_view(SimpleNamespace(figure="fig8_faithfulness")) == {}
    assert flat_files({"a": "x", "b": {"m": ["y", "z"], "n": ["y"]}}) == {"a": "x", "b": ["y", "z"]}
    assert tiny.caption_file("fig_seed_grid_lime").name == "fig_seed_grid.rst"


def test_method_names_may_contain_underscores(monkeypatch):
    registry = method_registry.METHODS
    monkeypatch.setitem(registry, "grad_cam", replace(registry["gradcam"], name="grad_cam"))
    monkeypatch.setitem(registry, "mpm_v2", replace(registry["mpm"], name="mpm_v2", within_table=None))
    plan = build_plan(_config(**{"attribution.methods": ["grad_cam", "mpm_v2"]}))
    assert plan.within_methods == ["grad_cam", "mpm_v2"] and plan.ensemble_methods == ["mpm_v2"]
    assert "table_within_mpm_v2" in plan.tables and "fig_seed_grid_mpm_v2" in plan.figures
    fig5 = plan.figures["fig5_ensemble_maps"]
    assert list(fig5["ensemble"]) == ["mpm_v2"] and list(fig5["single"]) == ["mpm_v2"]
    assert list(plan.figures["fig6_consistency_vs_localization"]["within"]) == ["grad_cam", "mpm_v2"]
    chunk = plan.chunk_of["val"][plan.explained_test_images["val"][0]]
    assert fig5["single"]["mpm_v2"]["random_lite0"][0] == paths.attribution_file("mpm_v2", "val", "random_lite0", chunk)
    assert re.fullmatch(plan.wildcard_constraints()["method"], "mpm_v2")


#: Rule -> jobs of a dry run of each configuration, recorded on main before the plan moved out of
#: the rule files (commit 0954dc6): the plan must not change what the workflow runs.
DRY_RUN_JOBS = json.loads((REPO / "tests" / "dry_run_jobs.json").read_text())
CONFIGS = {
    "tiny": lambda: TINY_CONFIG,
    "default": lambda: yaml.safe_load((REPO / "config" / "config.yaml").read_text()),
    "embedded_full": lambda: yaml.safe_load((REPO / "config" / "embedded_full.yaml").read_text()),
}


@pytest.mark.workflow
@pytest.mark.parametrize("name", [*CONFIGS, pytest.param("paper", marks=pytest.mark.slow)])
def test_dry_run_jobs_are_those_before_the_plan(tmp_path, name):
    if name == "paper":
        work = paper_workdir(tmp_path / name)
    else:
        work = make_workdir(tmp_path / name, CONFIGS[name]())
    out = run_snakemake(work, "-n").stdout
    table = out.split("Job stats:")[1].split("\n\n")[0]
    jobs = {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", table, flags=re.M)}
    assert jobs == DRY_RUN_JOBS[name]


def test_rule_files_only_wire():
    """The parse-time logic is the plan's: no exits, no kind names and a short common.smk."""
    rules = REPO / "workflow" / "rules"
    assert len((rules / "common.smk").read_text().splitlines()) <= 100
    for path in rules.glob("*.smk"):
        text = path.read_text()
        assert "sys.exit" not in text and "def " not in text.replace("def table_outputs", ""), path
