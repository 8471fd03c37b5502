"""The SLURM profile end to end on a real one-node SLURM cluster started by the test.

The profile is installed the way users install it (`make slurm-profile PARTITION=…` into a
scratch XDG config directory) and run as `snakemake --profile slurm`. Overridden on the command
line: the status command (`squeue`; this cluster has no accounting database, where `sacct`
hangs), the plugin's first status-poll delay (2 s instead of 40 s) and the pause between status
polls (2 s instead of 10 s), so that the ~15 dependency levels of the tiny study, whose jobs run
for seconds, do not each wait for polls; they change when snakemake asks, not what it submits.

The run covers every kind of job without the whole tiny study (which takes ~13 minutes through
SLURM on 2 cores, mostly per-job start-up): Table 2 (extract_features on the GPU partition,
train_head, evaluate), the MPM maps (pruning, grouped per-image GPU jobs), their within-architecture
consistency and one figure — 8 dependency levels.

Without SLURM installed the test is skipped with the reason; under CI=true that is a failure.
"""

import os
import re
import subprocess

import numpy as np
import pandas as pd
import pytest
from slurm_cluster import SYSTEM_CONF, LocalSlurm, missing_executables, system_conf_in_use

from conftest import REPO, SNAKEMAKE, TINY_CONFIG, make_workdir

pytestmark = [pytest.mark.workflow, pytest.mark.slow]


def _require_slurm() -> None:
    missing = missing_executables()
    reason = None
    if missing:
        reason = f"SLURM not installed ({', '.join(missing)} not found; apt-get install slurm-wlm munge)"
    elif os.geteuid() != 0:
        reason = "the local SLURM cluster runs its daemons as root"
    elif system_conf_in_use():
        reason = f"{SYSTEM_CONF} exists: a real SLURM is configured here"
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the SLURM test: {reason}")
        pytest.skip(reason)


#: What the SLURM run makes (see the module docstring).
TARGETS = [
    "results/tables/table2_performance.csv",
    "results/consistency/within_mpm_summary.parquet",
    "results/figures/fig2_psychometrics.png",
]


@pytest.fixture(scope="module")
def slurm_run(tmp_path_factory):
    _require_slurm()
    root = tmp_path_factory.mktemp("slurm")
    config_home = root / "xdg"
    subprocess.run(
        ["make", "-s", "slurm-profile", "PARTITION=debug", f"XDG_CONFIG_HOME={config_home}"],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    work = make_workdir(root / "work", TINY_CONFIG)
    with LocalSlurm(root / "cluster") as cluster:
        env = {**cluster.env, "XDG_CONFIG_HOME": str(config_home), "MPLBACKEND": "Agg"}
        cmd = [str(SNAKEMAKE), "--snakefile", str(REPO / "Snakefile"), "--directory", str(work)]
        cmd += ["--profile", "slurm", "--slurm-status-command", "squeue"]
        cmd += ["--slurm-init-seconds-before-status-checks", "2", "--seconds-between-status-checks", "2"]
        cmd += TARGETS
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise AssertionError(f"snakemake --profile slurm failed:\n{proc.stderr[-6000:]}\n{cluster.logs()}")
        # Every job SLURM ran, straight from the controller (MinJobAge keeps finished jobs listed).
        listed = cluster.run("scontrol", "show", "job", "-o").stdout
    return work, proc.stderr + proc.stdout, listed


def test_every_job_went_through_sbatch(slurm_run):
    work, log, listed = slurm_run
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+) \(log: (\S+)\)", log)
    stats = dict(re.findall(r"^(\w+)\s+(\d+)$", log.split("Job stats:")[1].split("Select jobs")[0], flags=re.M))
    n_jobs = int(stats.pop("total"))
    assert {"extract_features", "train_head", "prune", "mpm", "consistency_within", "figure"} <= set(stats)
    # Group jobs: the per-image attribution jobs go in a few SLURM jobs, everything else one each.
    grouped = int(stats["mpm"])
    n_groups = len(re.findall(r"Group job attribution_mpm", log))
    assert 0 < n_groups < grouped
    assert len(submitted) == n_jobs - grouped + n_groups, (len(submitted), n_jobs, grouped, n_groups)
    ids = {int(i) for i, _ in submitted}
    assert ids == {int(i) for i in re.findall(r"JobId=(\d+)", listed)}
    assert all(state == "COMPLETED" for state in re.findall(r"JobState=(\w+)", listed))
    for _, slurm_log in submitted:  # the profile keeps the SLURM logs of successful jobs
        assert os.path.exists(slurm_log), slurm_log
    # The GPU rules asked SLURM for a GPU; the CPU rules did not.
    gpu_jobs = {m.group(1) for m in re.finditer(r"JobId=(\d+) .*?TresPerJob=gres:gpu:1", listed)}
    assert len(gpu_jobs) == 2 + n_groups  # extract_features per arch + the attribution groups


def test_slurm_outputs_equal_a_local_run(slurm_run, tiny_run):
    work, _, _ = slurm_run
    local, _ = tiny_run
    tables = sorted((work / "results" / "tables").glob("*.csv"))
    assert {t.name for t in tables} == {"psychometrics.csv", "table2_performance.csv", "table3_beyond_quality.csv"}
    for table in tables:
        a = pd.read_csv(table)
        b = pd.read_csv(local / "results" / "tables" / table.name)
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-4, atol=1e-6)
    for path in sorted((local / "results" / "attributions" / "mpm" / "test").rglob("*.parquet")):
        rel = path.relative_to(local)
        a, b = pd.read_parquet(path), pd.read_parquet(work / rel)
        num = a.select_dtypes("number").columns
        np.testing.assert_allclose(a[num].to_numpy(float), b[num].to_numpy(float), rtol=1e-4, atol=1e-6)
    within = "results/consistency/within_mpm_summary.parquet"
    pd.testing.assert_frame_equal(pd.read_parquet(local / within), pd.read_parquet(work / within), check_exact=False)
    assert {p.name for p in (work / "results" / "figures").glob("*.png")} == {"fig2_psychometrics.png"}
