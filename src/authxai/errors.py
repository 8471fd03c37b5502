"""One-line, user-facing errors.

Every problem a user can fix (a bad file, a bad column, a bad config value) is raised as
:class:`InputError`, whose message is one line naming *what* is wrong, *where* (file, column,
row or config key) and *what to do*. Workflow scripts turn it into that single line on stderr
and a non-zero exit (see :func:`authxai.workflow.run_script`), never a deep traceback.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class InputError(Exception):
    """A user-fixable problem with an input file or a config value."""

    def __init__(self, message: str) -> None:
        # Newlines would break the "one clear line" contract; fold them.
        super().__init__(" ".join(str(message).split()))


def fail(where: object, problem: str, fix: str) -> InputError:
    """Build an :class:`InputError` as ``<where>: <problem> — <fix>``."""
    return InputError(f"{where}: {problem} — {fix}")


def exception_summary(exc: BaseException, limit: int = 120) -> str:
    """``Type: first sentence`` of an exception, cut at a word boundary within ``limit``
    characters (library messages run to paragraphs; a cut mid-word reads as a bug)."""
    text = " ".join(str(exc).split())
    sentence = text.split(". ")[0].rstrip(".")
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0] + " …"
    return f"{type(exc).__name__}: {sentence}" if sentence else type(exc).__name__


def require_finite(values: Any, what: str, fix: str = "check the inputs and weights of this stage") -> None:
    """Stop with one line when ``values`` (tensor, array or numbers) hold NaN or ±inf.

    Called after every stage that produces numbers (features, heads, pruning, predictions,
    maps), so an overflow or a degenerate fit stops where it happens, naming the architecture
    and the stage in ``what``, instead of flowing on as NaN into every table downstream.
    """
    if hasattr(values, "detach"):  # a torch tensor: stay off numpy for big fp32 caches
        values = values.detach()
        finite = values.isfinite()
        n_bad, n = int((~finite).sum()), finite.numel()
    else:
        finite = np.isfinite(np.asarray(values, dtype=np.float64))
        n_bad, n = int((~finite).sum()), finite.size
    if n_bad:
        raise InputError(f"{what}: {n_bad} of {n} values are NaN or infinite — {fix}")
