"""What the rule files share besides ``PLAN`` (authxai.plan, built in the Snakefile) — the
paths they name outputs with, the software environment and the report's table outputs.
(snakemake --lint takes the word "rule" followed by a colon on one line for a rule, and
would report rules mixed with functions here.)
Everything a rule asks of the config is ``PLAN``'s."""

from authxai.attribution.methods import METHODS as METHOD_REGISTRY
from authxai.consistency import prototype_label
from authxai.plan import (
    EXPERIMENT1_TABLES,
    PRIORITY,
    PSYCHOMETRICS,
    job_resources,
    paths,
)

#: The software environment of every job (--software-deployment-method conda).
CONDA_ENV = "../../envs/authxai.yaml"


def table_outputs(tables):
    """Named outputs ``<table>_csv`` (in the report, with its caption) and ``<table>_md``."""
    outputs = {}
    for table in tables:
        outputs[f"{table}_csv"] = report(
            paths.table_file(table, "csv"),
            caption=report_source(
                PLAN.caption_file(table), workflow.current_basedir, 2
            ),
            category="Tables",
        )
        outputs[f"{table}_md"] = paths.table_file(table, "md")
    return outputs
