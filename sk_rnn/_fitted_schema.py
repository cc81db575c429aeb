"""The declared type and shape of every fitted attribute a saved file may hold, checked
when a file is loaded: an edited or corrupted header fails at load, naming the
attribute, instead of failing or misleading at prediction."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import make_constraint

__all__ = ["check_fitted"]

_RESERVED_TOKENS = ("<pad>", "<unk>", "<bos>", "<eos>")


def _integer(value, minimum: int) -> str | None:
    if isinstance(value, bool | np.bool_) or not isinstance(value, Integral) or value < minimum:
        return f"is {value!r}; it must be an integer of at least {minimum}"
    return None


def _boolean(value) -> str | None:
    return None if isinstance(value, bool | np.bool_) else f"is {value!r}; it must be a bool"


def _vector(value, length: int | None, *, positive=False, optional=False) -> str | None:
    """A finite 1-D float vector of ``length`` (None: any), positive if asked."""
    if value is None:
        return None if optional else "is missing (None)"
    if not isinstance(value, np.ndarray) or value.ndim != 1 or value.dtype.kind not in "iuf":
        return f"is {type(value).__name__}; it must be a 1-D array of numbers"
    if length is not None and len(value) != length:
        return f"has {len(value)} entries; the model needs {length}"
    if not np.isfinite(value).all():
        return "holds NaN or infinity"
    if positive and not (value > 0).all():
        return "holds values that are not positive"
    return None


def _auto_settings(value, cls) -> str | None:
    """What "auto" stood for at fit: parameters of ``cls`` that take "auto", each with a
    value the parameter accepts."""
    if not isinstance(value, dict):
        return f"is {type(value).__name__}; it must map parameters to values"
    for name, setting in value.items():
        if name not in cls._auto_by_input:
            return f'names {name!r}, for which {cls.__name__} has no "auto"'
        constraints = [make_constraint(c) for c in cls._parameter_constraints[name]]
        accepted = any(c.is_satisfied_by(setting) for c in constraints)
        if setting == "auto" or not accepted:
            return f"gives {name} the value {setting!r}, which {cls.__name__} does not accept"
    return None


def _labels(value) -> str | None:
    if not isinstance(value, np.ndarray) or value.ndim != 1:
        return f"is {type(value).__name__}; it must be a 1-D array of labels"
    if len(value) < 2:
        return "holds fewer than 2 labels"
    if len(np.unique(value)) != len(value):
        return "holds the same label twice"
    if not np.array_equal(np.sort(value), value):
        return "is not sorted (labels are kept in sorted order)"
    return None


def _ids(mapping, first_id: int, what: str) -> str | None:
    """A dict of string keys to distinct integer ids from ``first_id`` on."""
    if not isinstance(mapping, dict):
        return f"is {type(mapping).__name__}; it must map {what} to ids"
    ids = list(mapping.values())
    if not all(isinstance(k, str) for k in mapping) or not all(
        isinstance(i, Integral) and not isinstance(i, bool) and i >= first_id for i in ids
    ):
        return f"must map {what} (strings) to ids of at least {first_id}"
    if len(set(ids)) != len(ids):
        return "gives two entries the same id"
    return None


def _vocabulary(value, fitted) -> str | None:
    problem = _ids(value, 0, "tokens")
    if problem is None and sorted(value.values()) != list(range(len(value))):
        problem = "does not number its tokens 0, 1, 2, ... without gaps"
    if problem is None and [t for t, _ in sorted(value.items(), key=lambda kv: kv[1])][:4] != list(
        _RESERVED_TOKENS
    ):
        problem = f"does not start with the reserved tokens {_RESERVED_TOKENS}"
    return problem


def _vectorizer(value, fitted, optional=True) -> str | None:
    if value is None:
        return None if optional else "is missing (None)"
    if not isinstance(getattr(value, "vocabulary_", None), dict):
        return f"is {type(value).__name__}; it must be a fitted SequenceVectorizer"
    return None


def _input_scaling(fitted) -> str | None:
    mean, scale = fitted.get("input_mean_"), fitted.get("input_scale_")
    if (mean is None) != (scale is None):
        return "input_mean_ and input_scale_ must both be given or both be None"
    width = fitted.get("n_features_in_")
    return _vector(mean, width, optional=True) or _vector(
        scale, width, positive=True, optional=True
    )


def _per_target(fitted) -> int | None:
    """How many entries per-target statistics have: one per output, or per series."""
    if "n_outputs_" in fitted:
        return fitted["n_outputs_"]
    ids = fitted.get("series_ids_")
    return len(ids) if isinstance(ids, np.ndarray) else None


def _affix_vocabularies(value, fitted) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        return f"is {type(value).__name__}; it must map affix names to vocabularies"
    for name, vocabulary in value.items():
        problem = _ids(vocabulary, 2, f"the values of affix {name!r}")
        if problem:
            return problem
    return None


def _series(value, fitted) -> str | None:
    tables = value if fitted.get("many_series_") else [value]
    width = fitted.get("n_features_in_")
    for table in tables:
        if not (isinstance(table, np.ndarray) and table.ndim == 2 and table.dtype.kind == "f"):
            return "must hold 2-D float arrays (steps, target and covariates)"
        if width is not None and table.shape[1] != width:
            return f"has {table.shape[1]} columns; n_features_in_ is {width}"
    ids = fitted.get("series_ids_")
    if isinstance(ids, np.ndarray) and len(tables) != len(ids):
        return f"holds {len(tables)} series for {len(ids)} ids"
    return None


def _series_ids(value, fitted) -> str | None:
    if not isinstance(value, np.ndarray) or value.ndim != 1 or len(value) == 0:
        return "must be a 1-D array of series ids"
    if len(np.unique(value)) != len(value):
        return "holds the same series id twice"
    return None


def _covariates(name):
    def check(value, fitted):
        if not isinstance(value, np.ndarray) or value.ndim != 2:
            return "must be a 2-D array (series, covariates)"
        if value.shape[1] != fitted.get("n_covariates_", value.shape[1]):
            return f"has {value.shape[1]} columns; n_covariates_ is {fitted['n_covariates_']}"
        return _vector(value.ravel(), None, positive=name.endswith("scale_"))

    return check


def _nonnegative_errors(value, fitted) -> str | None:
    if value is None:
        return None
    if not isinstance(value, np.ndarray) or not np.isfinite(value).all() or (value < 0).any():
        return "must be an array of finite, non-negative errors"
    return None


def _index_ends(value, fitted) -> str | None:
    if value is None:
        return None
    if not isinstance(value, np.ndarray) or value.ndim != 1 or value.dtype.kind not in "fM":
        return "must be a 1-D array of times (dates or numbers)"
    ids = fitted.get("series_ids_")
    if isinstance(ids, np.ndarray) and len(value) != len(ids):
        return f"has {len(value)} entries for {len(ids)} series"
    return None


# attribute -> check(value, fitted) giving a problem (a phrase) or None.
_CHECKS = {
    "n_features_in_": lambda v, f: _integer(v, 1),
    "frame_size_": lambda v, f: _integer(v, 1),
    "window_": lambda v, f: _integer(v, 1),
    "n_outputs_": lambda v, f: _integer(v, 1),
    "max_target_length_": lambda v, f: _integer(v, 1),
    "n_covariates_": lambda v, f: _integer(v, 0),
    "n_unknown_": lambda v, f: _integer(v, 0),
    "early_stopping_": lambda v, f: _boolean(v),
    "single_output_": lambda v, f: _boolean(v),
    "targets_are_text_": lambda v, f: _boolean(v),
    "many_series_": lambda v, f: _boolean(v),
    "classes_": lambda v, f: _labels(v),
    "class_weight_": lambda v, f: (
        _vector(v, len(f["classes_"]) if isinstance(f.get("classes_"), np.ndarray) else None)
        or (None if (v >= 0).all() else "holds negative weights")
    ),
    "input_scaling_": lambda v, f: (
        None
        if v in (None, "per_series", "global")
        else f"is {v!r}; it must be 'per_series', 'global' or None"
    ),
    "input_mean_": lambda v, f: _input_scaling(f),
    "target_mean_": lambda v, f: _vector(v, _per_target(f)),
    "target_scale_": lambda v, f: _vector(v, _per_target(f), positive=True),
    "shrinkage_": lambda v, f: (
        _vector(v, f.get("n_outputs_"))
        or (None if ((v >= 0) & (v <= 1)).all() else "holds factors outside [0, 1]")
    ),
    "vectorizer_": _vectorizer,
    "target_vectorizer_": lambda v, f: _vectorizer(v, f, optional=False),
    "vocabulary_": _vocabulary,
    "affix_vocabularies_": _affix_vocabularies,
    "character_vocabulary_": lambda v, f: None if v is None else _ids(v, 4, "characters"),
    "series_": _series,
    "series_ids_": _series_ids,
    "covariate_mean_": _covariates("covariate_mean_"),
    "covariate_scale_": _covariates("covariate_scale_"),
    "interval_errors_": _nonnegative_errors,
    "index_ends_": _index_ends,
}


def check_fitted(fitted: dict, cls) -> None:
    """Raise a ValueError naming the first fitted attribute of ``fitted`` (decoded from a
    file of ``cls``) whose type, shape or values are not what the estimators write."""
    checks = {**_CHECKS, "auto_settings_": lambda v, f: _auto_settings(v, cls)}
    for name, check in checks.items():  # sizes first: later checks compare with them
        if name in fitted:
            problem = check(fitted[name], fitted)
            if problem:
                raise ValueError(f"the fitted attribute {name} {problem}")
