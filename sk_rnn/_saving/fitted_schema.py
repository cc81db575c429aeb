"""Checks of fitted attributes as a saved file holds them: an edited or corrupted header
fails at load, naming the attribute, instead of failing or misleading at prediction.

Each savable class declares its fitted attributes beside its parameters, as
``_fitted_constraints``: attribute name -> check, a function ``(value, fitted)`` that
gives a problem (a phrase) or None; ``fitted`` is every decoded attribute of the file
(its ``cls`` is the class being loaded). The checks run in the order declared, so sizes
go first and later checks compare with them. :func:`check_fitted` refuses an attribute
the class does not declare. The checks themselves are here, named for what they accept.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import make_constraint

from .._gaps import IMPUTATIONS

__all__ = [
    "INPUT_ENCODING_CONSTRAINTS",
    "auto_settings",
    "boolean",
    "check_fitted",
    "class_weights",
    "covariate_statistics",
    "fitted_vectorizer",
    "index_ends",
    "integer",
    "labels",
    "nonnegative_errors",
    "calibration_residuals",
    "optional",
    "optional_vectorizer",
    "per_target_vector",
    "series_ids",
    "series_tables",
    "shrinkage",
    "vocabulary",
    "affix_vocabularies",
    "character_vocabulary",
    "input_scaling",
    "input_statistics",
]

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
    if ids and max(ids) >= first_id + len(ids):  # the module has an embedding per entry
        return f"gives an id beyond its {len(ids)} entries"
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
    if (mean is not None) != (fitted.get("input_scaling_") == "global"):
        return "input_mean_ and input_scale_ are given exactly with input_scaling_='global'"
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


def _affix_vocabularies(value, fitted, names) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        return f"is {type(value).__name__}; it must map affix names to vocabularies"
    if set(value) != set(names):
        return f"must name the affixes {list(names)}"
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
    # NaN: an origin a short series did not have
    if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
        return "must be an array of finite, non-negative errors (NaN where no origin)"
    observed = value[~np.isnan(value)]
    if not observed.size or not np.isfinite(observed).all() or (observed < 0).any():
        return "must be an array of finite, non-negative errors (NaN where no origin)"
    return None


def _calibration_residuals(value, fitted) -> str | None:
    if value is None:
        return None
    errors = fitted.get("interval_errors_")
    if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
        return "must be an array of residuals"
    if not isinstance(errors, np.ndarray) or errors.shape != value.shape:
        return "must be the signed interval_errors_"
    if not np.allclose(np.abs(value), errors, equal_nan=True):
        return "must be the signed interval_errors_"
    return None


def _static(value, fitted) -> str | None:
    if value is None:
        return None
    if not isinstance(value, np.ndarray) or value.ndim != 2 or value.dtype.kind != "f":
        return "must be a 2-D array of numbers (a row per series)"
    if not np.isfinite(value).all():
        return "holds NaN or infinity"
    ids = fitted.get("series_ids_")
    if isinstance(ids, np.ndarray) and len(value) != len(ids):
        return f"has {len(value)} rows for {len(ids)} series"
    return None


def _static_statistics(positive: bool):
    def check(value, fitted) -> str | None:
        static = fitted.get("static_")
        if (value is None) != (static is None):
            return "must be given exactly when static_ is"
        width = static.shape[1] if isinstance(static, np.ndarray) and static.ndim == 2 else None
        return None if value is None else _vector(value, width, positive=positive)

    return check


def _index_ends(value, fitted) -> str | None:
    if value is None:
        return None
    if not isinstance(value, np.ndarray) or value.ndim != 1 or value.dtype.kind not in "fM":
        return "must be a 1-D array of times (dates or numbers)"
    ids = fitted.get("series_ids_")
    if isinstance(ids, np.ndarray) and len(value) != len(ids):
        return f"has {len(value)} entries for {len(ids)} series"
    return None


# -- the checks, as classes declare them -----------------------------------------------------


def integer(minimum: int):
    return lambda value, fitted: _integer(value, minimum)


def boolean(value, fitted) -> str | None:
    return _boolean(value)


def labels(value, fitted) -> str | None:
    return _labels(value)


def class_weights(value, fitted) -> str | None:
    classes = fitted.get("classes_")
    return _vector(value, len(classes) if isinstance(classes, np.ndarray) else None) or (
        None if (value >= 0).all() else "holds negative weights"
    )


def input_scaling(value, fitted) -> str | None:
    if value in (None, "per_series", "global"):
        return None
    return f"is {value!r}; it must be 'per_series', 'global' or None"


def input_statistics(value, fitted) -> str | None:
    return _input_scaling(fitted)


def per_target_vector(*, positive: bool = False):
    return lambda value, fitted: _vector(value, _per_target(fitted), positive=positive)


def shrinkage(value, fitted) -> str | None:
    return _vector(value, fitted.get("n_outputs_")) or (
        None if ((value >= 0) & (value <= 1)).all() else "holds factors outside [0, 1]"
    )


def optional_vectorizer(value, fitted) -> str | None:
    return _vectorizer(value, fitted)


def fitted_vectorizer(value, fitted) -> str | None:
    return _vectorizer(value, fitted, optional=False)


vocabulary = _vocabulary


def affix_vocabularies(names):
    """A check of the affix vocabularies of a model whose affixes are ``names``."""
    return lambda value, fitted: _affix_vocabularies(value, fitted, names)


def optional(check):
    """``check`` of an attribute a fitted model may lack (``n_features_in_`` of a text
    model, the covariate scaling of a forecaster without covariates)."""

    def checked(value, fitted):
        return check(value, fitted)

    checked.optional = True
    return checked


series_tables = _series
series_ids = _series_ids
nonnegative_errors = _nonnegative_errors
calibration_residuals = _calibration_residuals
index_ends = _index_ends
covariate_statistics = _covariates
static_covariates = _static
static_statistics = _static_statistics


def character_vocabulary(value, fitted) -> str | None:
    return None if value is None else _ids(value, 4, "characters")


def auto_settings(value, fitted) -> str | None:
    return _auto_settings(value, fitted.cls)


# What every network estimator's input encoding writes (sk_rnn._mixins.inputs).
INPUT_ENCODING_CONSTRAINTS = {
    "n_features_in_": optional(integer(1)),  # numeric input only
    "frame_size_": integer(1),
    "input_scaling_": input_scaling,
    "input_mean_": input_statistics,  # with input_scale_: both or neither, per feature
    "input_scale_": input_statistics,
    "input_gaps_": lambda value, fitted: (
        None
        if value is None or value in IMPUTATIONS
        else f"is {value!r}; it must be one of {list(IMPUTATIONS)} or None"
    ),
    "input_fill_": lambda value, fitted: (
        None
        if (value is None) == (fitted.get("input_gaps_") is None)
        and (value is None or _vector(value, fitted.get("n_features_in_")) is None)
        else "must be one finite value per feature exactly when input_gaps_ is set"
    ),
    "input_gap_channels_": boolean,
    "input_time_scale_": lambda value, fitted: (
        None
        if value is None or (isinstance(value, float) and np.isfinite(value) and value > 0)
        else f"is {value!r}; it must be a positive number or None"
    ),
    "vectorizer_": optional_vectorizer,
}


def _is_optional(check) -> bool:
    return getattr(check, "optional", False)


class _Fitted(dict):
    """A file's decoded fitted attributes, and the class they are loaded into."""

    def __init__(self, fitted: dict, cls):
        super().__init__(fitted)
        self.cls = cls


def check_fitted(fitted: dict, cls) -> None:
    """Raise a ValueError naming the first fitted attribute of ``fitted`` (decoded from a
    file of ``cls``) that ``cls`` does not declare (``_fitted_constraints``), or whose
    type, shape or values are not what the estimators write."""
    constraints = cls._fitted_constraints
    unknown = sorted(set(fitted) - set(constraints))
    if unknown:
        raise ValueError(f"{unknown[0]!r} is not a fitted attribute of {cls.__name__}")
    missing = [n for n, c in constraints.items() if n not in fitted and not _is_optional(c)]
    if missing:
        raise ValueError(f"the fitted attribute {missing[0]} is missing")
    context = _Fitted(fitted, cls)
    for name, check in constraints.items():  # sizes first: later checks compare with them
        if name in fitted:
            problem = check(fitted[name], context)
            if problem:
                raise ValueError(f"the fitted attribute {name} {problem}")
