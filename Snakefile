"""authxai: explanations of deep-network models of image authenticity judgments.

Everything this run computes is decided from the config before any job runs, in plain Python:
``PLAN = build_plan(config)`` (authxai.plan: the axes, the explained images, which stages,
tables and figures apply, the inputs of every job, the final targets). The rule files under
workflow/rules only wire: one file of rules per stage, each rule asking PLAN. All logic lives
in src/authxai/; docs/architecture.md describes the stages and the files between them.
"""

import copy
import os
import sys
from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")

# authxai comes from this workflow's own source tree, whatever environment runs the jobs (a venv
# or conda env without authxai installed, a container, a cluster node): src/ goes first on the
# parse-time path and on PYTHONPATH, which every job (a subprocess, or on SLURM a snakemake
# started with the submitting environment) inherits. Where there is no such folder — a copy of
# the workflow without src/, or a remote source (`module ... snakefile: github(...)`, whose
# files Snakemake fetches one by one into its source cache, so the basedir is a URL such as
# https://raw.githubusercontent.com/<owner>/<repo>/<tag>) — the installed authxai is used, in
# Snakemake's environment and in the jobs'.
# (PYTHONPATH is optional, so it is not an `envvars:` requirement; the name is held in a
# variable because the linter takes any literal os.environ lookup for one.)
#: This workflow's own folder or URL (not the working directory's workflow where another
#: workflow uses this one as a module: workflow.basedir is then the outer one's).
AUTHXAI_ROOT = workflow.current_basedir.get_path_or_uri(secret_free=True)
AUTHXAI_SRC = str(Path(AUTHXAI_ROOT) / "src")
_PATH_VARIABLE = "PYTHONPATH"
if workflow.current_basedir.is_local and (Path(AUTHXAI_SRC) / "authxai").is_dir():
    if AUTHXAI_SRC not in sys.path:
        sys.path.insert(0, AUTHXAI_SRC)
    _inherited = os.environ.get(_PATH_VARIABLE, "")
    if _inherited.split(os.pathsep)[0] != AUTHXAI_SRC:
        os.environ[_PATH_VARIABLE] = os.pathsep.join(
            p for p in (AUTHXAI_SRC, _inherited) if p
        )
try:
    import authxai
except ImportError as _exc:
    sys.exit(
        f"authxai: the authxai package is neither in this workflow's source tree ({AUTHXAI_ROOT}/src) "
        f"nor installed ({_exc}) — pip install authxai at this workflow's version into the environment "
        "that runs snakemake and the jobs (docs/usage.md, 'From another workflow'), or run a local copy"
    )

from authxai.errors import InputError
from authxai.plan import build_plan

# The report's texts are package data of authxai (see authxai.workflow.REPORT_DIR).
from authxai.workflow import REPORT_DIR, report_source


configfile: "config/config.yaml"


report: report_source(REPORT_DIR / "workflow.rst", workflow.current_basedir, 0)


if workflow.config_settings.configfiles:
    # A user's config file means what it says: Snakemake merges --configfile into the embedded
    # study's config/config.yaml, whose exclusion list, architectures and CPU-budget settings
    # would come along unseen. Start from the user's files (and --config) alone; the schema's
    # defaults fill what they leave out.
    config.clear()
    config.update(copy.deepcopy(dict(workflow.config_settings.overwrite_config)))
try:
    #: What this run computes (authxai.plan.Plan); every rule asks it.
    PLAN = build_plan(config)
except InputError as _exc:
    # one line, no traceback: a bad config value or data that cannot carry the study
    sys.exit(f"authxai {_exc}")
# the validated config, with the schema's defaults (jobs and provenance records read it)
config.clear()
config.update(PLAN.config)


wildcard_constraints:
    **PLAN.wildcard_constraints(),


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/psychometrics.smk"
include: "workflow/rules/weights.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/attribution.smk"
include: "workflow/rules/consistency.smk"
include: "workflow/rules/ensemble.smk"
include: "workflow/rules/appendix.smk"
include: "workflow/rules/localization.smk"
include: "workflow/rules/counterfactual.smk"
include: "workflow/rules/scorecard.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/explorer.smk"


# The target rule only collects files: never a cluster job.
localrules:
    all,


rule all:
    default_target: True
    input:
        PLAN.all_outputs(),
