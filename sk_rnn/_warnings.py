"""Warnings that point at the user's line: the first caller outside sk_rnn and the
libraries it runs in (skorch, scikit-learn, torch), however deep the warning is raised."""

from __future__ import annotations

import sys
import warnings

__all__ = ["warn_user"]

# Frames of these packages are never the user's line: sk_rnn's own, and the libraries
# that call back into it (skorch's training loop, scikit-learn's fit wrappers, torch).
_LIBRARY_PREFIXES = ("sk_rnn", "skorch", "sklearn", "torch")


def warn_user(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` with the stack level of the first frame outside the libraries,
    counted when warning (a hand-counted ``stacklevel`` breaks when a call is added)."""
    frame, level = sys._getframe(1), 2
    while frame is not None and _is_library(frame.f_globals.get("__name__", "")):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def _is_library(module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in _LIBRARY_PREFIXES)
