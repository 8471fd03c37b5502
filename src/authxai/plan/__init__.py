"""The plan of a run in plain Python: what the workflow computes for a config, decided before
any job runs (:func:`build_plan`), and where every stage writes (:mod:`authxai.plan.paths`).

The rule files under ``workflow/rules`` only wire: ``PLAN = build_plan(config)`` once, and
every rule asks ``PLAN`` for its inputs, params and resources.
"""

from authxai.plan import paths
from authxai.plan.core import CAPTIONS, EXPERIMENT1_TABLES, PSYCHOMETRICS, Plan, build_plan, seed_subset
from authxai.plan.inputs import PRIORITY, flat_files, job_resources

__all__ = [
    "CAPTIONS",
    "EXPERIMENT1_TABLES",
    "PRIORITY",
    "PSYCHOMETRICS",
    "Plan",
    "build_plan",
    "flat_files",
    "job_resources",
    "paths",
    "seed_subset",
]
