"""Lazy package exports: ``import sk_rnn`` (or one of its torch-free modules, such as
``sk_rnn.runtime``) loads torch, scikit-learn and skorch only when an estimator is first
used, so that a deployed model predicts where only numpy and onnxruntime are installed."""

from __future__ import annotations

import importlib

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: dict[str, str]):
    """``__getattr__`` and ``__dir__`` for ``package`` whose public name ``name`` lives
    in its submodule ``exports[name]`` (PEP 562)."""

    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name], package), name)
        setattr(importlib.import_module(package), name, value)  # found directly next time
        return value

    def __dir__():
        return sorted(set(vars(importlib.import_module(package))) | set(exports))

    return __getattr__, __dir__
