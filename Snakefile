"""authxai: explanations of deep-network models of image authenticity judgments.

Stages are split by file under workflow/rules/; all logic lives in src/authxai/.
"""

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
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
