"""One-line, user-facing errors.

Every problem a user can fix (a bad file, a bad column, a bad config value) is raised as
:class:`InputError`, whose message is one line naming *what* is wrong, *where* (file, column,
row or config key) and *what to do*. Workflow scripts turn it into that single line on stderr
and a non-zero exit (see :func:`authxai.workflow.run_script`), never a deep traceback.
"""

from __future__ import annotations


class InputError(Exception):
    """A user-fixable problem with an input file or a config value."""

    def __init__(self, message: str) -> None:
        # Newlines would break the "one clear line" contract; fold them.
        super().__init__(" ".join(str(message).split()))


def fail(where: object, problem: str, fix: str) -> InputError:
    """Build an :class:`InputError` as ``<where>: <problem> — <fix>``."""
    return InputError(f"{where}: {problem} — {fix}")
