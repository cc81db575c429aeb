"""Upgrades of files written by earlier versions of the safe format: the one place that
knows how older headers differ, so that the estimators never check for attributes an
old file may lack.

Three kinds of change are recorded here:

- the header's schema, by format version (:func:`upgrade_header`): version 1 and 2 named
  sk_rnn's classes by their bare names and stored a fitted vocabulary as a special
  entry; version 3 names every class by its qualified name and stores a vocabulary like
  any fitted estimator;
- parameters and fitted attributes that were added while an earlier version was being
  written (:func:`fill_absent`): a file that lacks one gets the value that reproduces
  what the code that wrote it did (no convolution branch, no input scaling, one series);
- what "auto" stood for (:func:`auto_settings_of_the_time`): files written before a model
  recorded it (``auto_settings_``) resolve "auto" by the tables of their time;
- the names of weights (:func:`renamed_weights`): a submodule renamed since a file was
  written keeps loading its saved weights.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "AUTO_CHANGED",
    "FITTED_ADDED",
    "PARAMETERS_ADDED",
    "auto_settings_of_the_time",
    "fill_absent",
    "filled_pickle_state",
    "renamed_weights",
    "saved_name",
    "upgrade_header",
]

# Old prefix of a module's weight names -> the prefix now. The tagger's per-token feature
# encoder was named character_encoder, though it also held the affix encoder.
WEIGHTS_RENAMED = {"encoder.character_encoder.": "encoder.token_feature_encoder."}


def renamed_weights(weights: dict) -> dict:
    """A module's saved weights (name -> tensor) under the names the modules have now."""
    renamed = {}
    for name, tensor in weights.items():
        for old, new in WEIGHTS_RENAMED.items():
            if name.startswith(old):
                name = new + name[len(old) :]
        renamed[name] = tensor
    return renamed


_SEQUENCE_LEVEL_ADDED = {
    "missing": "auto",  # a fitted model without gap channels refuses NaN whatever it says
    "elapsed": "auto",  # likewise: without input_time_scale_ no times are read
    "conv_channels": None,
    "standardize": False,
    "lr_schedule": "constant",
    "max_length": None,
    "keep": "first",
}
# Class (as saved) -> parameter -> its value in files written before it existed.
PARAMETERS_ADDED: dict[str, dict] = {
    "sk_rnn.RNNClassifier": _SEQUENCE_LEVEL_ADDED,
    "sk_rnn.RNNRegressor": {**_SEQUENCE_LEVEL_ADDED, "per_step": False, "shrink_to_mean": False},
    "sk_rnn.RNNTagger": {
        "affix_features": False,
        "class_weight": None,
        "missing": "auto",
        "elapsed": "auto",
        "standardize": False,
        "lr_schedule": "constant",
    },
    "sk_rnn.RNNLanguageModel": {"lr_schedule": "constant", "weight_drop": 0.0},
    "sk_rnn.RNNSeq2Seq": {"standardize": False, "lr_schedule": "constant"},
    # Before per-window scaling, every series was standardised on its own.
    "sk_rnn.RNNForecaster": {"series_id": None, "scaling": "series", "season_length": 1},
}


def _one_series(fitted: dict, params: dict) -> None:
    """A forecaster saved before many series: its scaling as that of series 0."""
    fitted["target_mean_"] = np.reshape(fitted["target_mean_"], 1)
    fitted["target_scale_"] = np.reshape(fitted["target_scale_"], 1)
    for name in ("covariate_mean_", "covariate_scale_"):
        if name in fitted:
            fitted[name] = np.reshape(fitted[name], (1, -1))
    fitted["series_ids_"] = np.arange(1)
    fitted["many_series_"] = False


# Class (as saved) -> fitted attribute -> function(fitted, params) that sets it (and what
# depends on it) in files written before it existed.
FITTED_ADDED: dict[str, dict] = {
    "sk_rnn.RNNBase": {
        "frame_size_": lambda fitted, params: fitted.update(frame_size_=1),
        "input_mean_": lambda fitted, params: fitted.update(input_mean_=None, input_scale_=None),
        # Files from before "per_series": scaled with the training statistics, or not.
        "input_scaling_": lambda fitted, params: fitted.update(
            input_scaling_=None if fitted.get("input_mean_") is None else "global"
        ),
        # Files from before gaps were learned from: no gap channels (NaN refused).
        "input_gaps_": lambda fitted, params: fitted.update(input_gaps_=None, input_fill_=None),
        # Files from before step times were read: no elapsed-time channel.
        "input_time_scale_": lambda fitted, params: fitted.update(input_time_scale_=None),
        # Files from before missing="auto" chose: gaps were always read with their channels.
        "input_gap_channels_": lambda fitted, params: fitted.update(input_gap_channels_=True),
        # Files from before early_stopping="auto" hold a bool.
        "early_stopping_": lambda fitted, params: fitted.update(
            early_stopping_=params.get("early_stopping") is True
        ),
    },
    # Files from before shrink_to_mean: predictions as the network made them.
    "sk_rnn.RNNRegressor": {
        "shrinkage_": lambda fitted, params: fitted.update(
            shrinkage_=np.ones(fitted["n_outputs_"])
        ),
    },
    "sk_rnn.RNNTagger": {
        "class_weight_": lambda fitted, params: fitted.update(
            class_weight_=np.ones(len(fitted["classes_"]))
        ),
        "affix_vocabularies_": lambda fitted, params: fitted.update(affix_vocabularies_=None),
    },
    "sk_rnn.RNNForecaster": {
        "many_series_": _one_series,
        # Files from before update() checked the index: nothing to check against.
        "index_ends_": lambda fitted, params: fitted.update(index_ends_=None),
        # Files from before window="auto": the window was the parameter.
        "window_": lambda fitted, params: fitted.update(window_=params["window"]),
        # Files from before season_length: no season, and every window scaled by its
        # own steps, however few.
        "season_length_": lambda fitted, params: fitted.update(season_length_=1),
        "scale_steps_": lambda fitted, params: fitted.update(scale_steps_=1),
        # Files from before static covariates: none.
        "static_": lambda fitted, params: fitted.update(
            static_=None, static_mean_=None, static_scale_=None
        ),
        # Files from before quantile forecasts kept the errors without their signs.
        "interval_residuals_": lambda fitted, params: fitted.update(interval_residuals_=None),
    },
}


def fill_absent(cls, params: dict, fitted: dict) -> None:
    """Give the parameters and fitted attributes a file of ``cls`` lacks (decoded
    ``params`` and ``fitted``, changed in place) the values the code that wrote it
    used."""
    for base in reversed(cls.__mro__):
        name = saved_name(base)
        for parameter, value in PARAMETERS_ADDED.get(name, {}).items():
            if parameter not in params and parameter in cls._get_param_names():
                params[parameter] = value
        for attribute, fill in FITTED_ADDED.get(name, {}).items():
            if attribute not in fitted:
                fill(fitted, params)
    if "auto_settings_" not in fitted and hasattr(cls, "_auto_by_input"):
        fitted["auto_settings_"] = auto_settings_of_the_time(cls, fitted)


# Class (as saved) -> parameter -> what "auto" gave (numeric sequences, text) before
# models recorded it, where the class's table gives something else now.
AUTO_CHANGED: dict[str, dict] = {
    # Text was pooled by the maximum until attention pooling won the regressor's CV.
    "sk_rnn.RNNRegressor": {"pooling": ("mean", "max")},
}


def auto_settings_of_the_time(cls, fitted: dict) -> dict:
    """What "auto" stood for in a model of ``cls`` saved before models recorded it: the
    class's table as it was then (a subclass that keeps a changed class's table had
    that class's old one)."""
    table = cls._auto_by_input
    for base in cls.__mro__:
        changed = AUTO_CHANGED.get(saved_name(base))
        if changed and base._auto_by_input is table:
            table = {**table, **changed}
            break
    column = int(fitted.get("vectorizer_") is not None)
    return {name: values[column] for name, values in table.items()}


def upgrade_header(header: dict) -> dict:
    """``header`` (of any format version up to the current one) in the current schema."""
    if header["format_version"] < 3:
        header = _named_qualified(header)
    return header


def _named_qualified(value):
    """Version 2 to 3: sk_rnn's classes named ``sk_rnn.<name>``, vocabularies stored as
    fitted estimators."""
    if isinstance(value, list):
        return [_named_qualified(v) for v in value]
    if not isinstance(value, dict):
        return value
    value = {k: _named_qualified(v) for k, v in value.items()}
    # An estimator's entry (the header, a fitted estimator) or an estimator parameter.
    key = "estimator" if "params" in value and "fitted" in value else "__estimator__"
    name = value.get(key)
    if isinstance(name, str) and "." not in name:  # sk_rnn's own classes
        value[key] = f"sk_rnn.{name}"
    vectorizer = value.get("__sequence_vectorizer__")
    if isinstance(vectorizer, dict):
        fitted = {k: v for k, v in vectorizer.items() if k != "params"}
        return {
            "__fitted_estimator__": {
                "estimator": "sk_rnn.SequenceVectorizer",
                "params": vectorizer.get("params"),
                "fitted": fitted,
            }
        }
    return value


def saved_name(cls: type) -> str:
    """The name a class is saved under: ``sk_rnn.<name>`` for sk_rnn's classes (stable
    whichever private module defines them), else its module and qualified name."""
    if cls.__module__.split(".")[0] == "sk_rnn":
        return f"sk_rnn.{cls.__qualname__}"
    return f"{cls.__module__}.{cls.__qualname__}"


def filled_pickle_state(cls: type, state: dict) -> dict:
    """The ``__dict__`` of a fitted ``cls`` unpickled from a file written before some
    of its parameters or fitted attributes existed, with the values the code that wrote
    it used (as :func:`load` gives them)."""
    names = set(cls._get_param_names())
    params = {k: v for k, v in state.items() if k in names}
    fitted = {k: v for k, v in state.items() if k not in names}
    fill_absent(cls, params, fitted)
    recorded = fitted.get("_fitted_params_")
    if isinstance(recorded, dict):  # what it was fitted with, the new ones included
        fitted["_fitted_params_"] = {**params, **recorded}
    return {**fitted, **params}
