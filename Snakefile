"""authxai: explanations of deep-network models of image authenticity judgments.

Parse-time files first (config.smk: config and constraints; paths.smk: where stages write;
common.smk: input functions, params and resources; outputs.smk: tables, figures, captions and
the final targets), then one file of rules per stage. All logic lives in src/authxai/;
docs/architecture.md describes the stages and the files between them.
"""

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/config.smk"
include: "workflow/rules/paths.smk"
include: "workflow/rules/common.smk"
include: "workflow/rules/outputs.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/psychometrics.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/attribution.smk"
include: "workflow/rules/consistency.smk"
include: "workflow/rules/ensemble.smk"
include: "workflow/rules/appendix.smk"
include: "workflow/rules/localization.smk"
include: "workflow/rules/scorecard.smk"
include: "workflow/rules/figures.smk"


# The target rule only collects files: never a cluster job.
localrules:
    all,


rule all:
    default_target: True
    input:
        all_outputs(),
