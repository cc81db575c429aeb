"""Saving and loading models without pickle: one safetensors file with a JSON header.

Format (``format_version`` 1): a standard safetensors file. Its tensors are the weights of
the torch module (``module.<name>``). Its string metadata holds one key, ``"sk_rnn"``, a
JSON document with the format version, the sk_rnn version, the estimator's class name, its
parameters and its fitted attributes (labels, vocabulary, scaling, training history).
Loading parses JSON and raw tensors only, and maps the class name through a fixed table of
sk_rnn estimators: nothing in the file is ever executed. Pickle and joblib remain available
for scikit-learn compatibility, but load pickles only from sources you trust.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from sklearn.utils.validation import check_is_fitted
from skorch.history import History

from ._text import SequenceVectorizer

FORMAT = "sk_rnn"
FORMAT_VERSION = 1
_NOT_SAVED_ATTRIBUTES = ("net_", "history_")

# Saved name -> class, filled by SafeSaving.__init_subclass__.
_REGISTRY: dict[str, type] = {}


def saved_name(cls: type) -> str:
    """The name a class is saved under: its own name for sk_rnn's classes (stable across
    versions), else its module and qualified name."""
    if cls.__module__.split(".")[0] == "sk_rnn":
        return cls.__name__
    return f"{cls.__module__}.{cls.__qualname__}"


class SafeSaving:
    """Mixin of every estimator that saves to the safe format.

    A subclass is registered for :func:`load` when its class statement runs, so a user's
    own subclass loads as soon as it is defined (or imported) in the loading process;
    loading never imports anything by name.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _REGISTRY[saved_name(cls)] = cls

    def save(self, path) -> None:
        """Save the fitted model to ``path`` without pickle; load it with :func:`sk_rnn.load`.

        One safetensors file: the weights, plus a JSON header with the parameters, labels
        and the other fitted attributes. Loading it never executes code, so it is safe for
        files from untrusted sources (pickle and joblib files are not). The file is
        written atomically: an interrupted save leaves any previous file intact.

        Parameters
        ----------
        path : str or path-like
            Destination file, conventionally ending in ``.safetensors``.
        """
        save(self, path)


# -- encoding values as JSON -----------------------------------------------------------


def _to_json(value, what: str):
    if isinstance(value, SequenceVectorizer):
        return {
            "__sequence_vectorizer__": {
                "params": {k: _to_json(v, f"tokenizer {k}") for k, v in value.get_params().items()},
                "vocabulary_": value.vocabulary_,
                "n_unknown_": value.n_unknown_,
            }
        }
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufU":
            raise ValueError(
                f"{what} has dtype {value.dtype}, which the safe format cannot store; use "
                "labels/values that are numbers or strings, or pickle (trusted files only)."
            )
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, type) and issubclass(value, torch.optim.Optimizer):
        if getattr(torch.optim, value.__name__, None) is not value:
            raise ValueError(
                f"{what}={value!r} is not one of torch.optim's optimizers, so the safe format "
                "cannot name it; use pickle (trusted files only)."
            )
        return {"__optimizer__": value.__name__}
    try:
        json.dumps(value)
    except TypeError:
        raise ValueError(
            f"{what}={value!r} cannot be stored in the safe format (JSON); use pickle "
            "(trusted files only)."
        ) from None
    return value


def _from_json(value):
    if isinstance(value, dict) and "__sequence_vectorizer__" in value:
        state = value["__sequence_vectorizer__"]
        vectorizer = SequenceVectorizer(**state["params"])
        vectorizer.vocabulary_ = {str(k): int(v) for k, v in state["vocabulary_"].items()}
        vectorizer.n_unknown_ = int(state["n_unknown_"])
        return vectorizer
    if isinstance(value, dict) and "__ndarray__" in value:
        return np.asarray(value["__ndarray__"], dtype=np.dtype(value["dtype"]))
    if isinstance(value, dict) and "__optimizer__" in value:
        optimizer = getattr(torch.optim, value["__optimizer__"], None)
        if not (isinstance(optimizer, type) and issubclass(optimizer, torch.optim.Optimizer)):
            raise ValueError(f"unknown optimizer {value['__optimizer__']!r}")
        return optimizer
    return value


# -- save --------------------------------------------------------------------------------


def save(estimator, path) -> None:
    """Save a fitted sk_rnn estimator to ``path`` in the safe format (see module docs).

    The file is written under a temporary name and renamed into place, so an interrupted
    save never leaves a half-written model where a good one was.
    """
    from . import __version__

    check_is_fitted(estimator)
    path = Path(path)
    params = estimator.get_params(deep=False)
    for name in ("callbacks", "embeddings", "accelerator"):  # only needed to fit
        if params.get(name) is not None:
            warnings.warn(
                f"{name} only matter for fitting and are not saved; the loaded model has "
                f"{name}=None.",
                UserWarning,
                stacklevel=3,
            )
            params[name] = None
    if not isinstance(params.get("random_state"), int | type(None)):
        params["random_state"] = None  # a RandomState's state only matters for fitting
    fitted = {
        name: _to_json(value, name)
        for name, value in vars(estimator).items()
        if name.endswith("_") and not name.startswith("_") and name not in _NOT_SAVED_ATTRIBUTES
    }
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "sk_rnn_version": __version__,
        "estimator": saved_name(type(estimator)),
        "device": estimator.device_,
        "params": {name: _to_json(value, name) for name, value in params.items()},
        "fitted": fitted,
        "history": json.loads(json.dumps(list(estimator.history_), default=float)),
    }
    tensors = {
        f"module.{name}": tensor.detach().to("cpu").contiguous().clone()
        for name, tensor in estimator.net_.module_.state_dict().items()
    }
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    os.close(handle)
    try:
        save_file(tensors, tmp_name, metadata={"sk_rnn": json.dumps(header)})
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


# -- load --------------------------------------------------------------------------------


def load(path, *, device: str | None = None):
    """Load a model saved with ``estimator.save(path)``; safe for untrusted files.

    Parameters
    ----------
    path : str or path-like
        The file.
    device : str or None, default=None
        Where to put the model. ``None`` keeps the device it was saved from when that is
        available here, and falls back to the CPU (with a warning) when it is not.

    Returns
    -------
    estimator : RNNClassifier, RNNRegressor, RNNTagger, RNNLanguageModel or RNNSeq2Seq
        The fitted estimator, of the class it was saved from, ready to predict (and to
        continue training with ``warm_start=True`` or ``partial_fit``, with a fresh
        optimizer state). A subclass of your own loads once its class is defined.

    Raises
    ------
    ValueError
        If the file is not an sk_rnn model, is truncated or corrupted, or was written by
        a newer format version; the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No sk_rnn model file at {path}.")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            metadata = f.metadata() or {}
            tensors = {name: f.get_tensor(name) for name in f.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise ValueError(f"{path} is not a readable sk_rnn model file: {exc}") from None
    try:
        header = json.loads(metadata["sk_rnn"])
        if header.get("format") != FORMAT:
            raise ValueError("its header does not say format 'sk_rnn'")
        if header["format_version"] > FORMAT_VERSION:
            raise ValueError(
                f"it has format version {header['format_version']}, written by sk_rnn "
                f"{header.get('sk_rnn_version')}; this sk_rnn reads up to version "
                f"{FORMAT_VERSION}. Upgrade sk_rnn to load it"
            )
        if header["estimator"] not in _REGISTRY:
            raise ValueError(
                f"unknown estimator {header['estimator']!r}; if it is a class of your own, "
                "define or import it before loading"
            )
        params = {name: _from_json(value) for name, value in header["params"].items()}
        estimator = _REGISTRY[header["estimator"]](**params)
        for name, value in header["fitted"].items():
            setattr(estimator, name, _from_json(value))
        device = resolve_load_device(header["device"], device)
        estimator._restore_net(_module_state(tensors), History(header["history"]), device)
    except (KeyError, TypeError, ValueError, RuntimeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is not a valid sk_rnn model file: {exc}") from None
    return estimator


def _module_state(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    prefix = "module."
    return {name[len(prefix) :]: t for name, t in tensors.items() if name.startswith(prefix)}


def resolve_load_device(saved_device: str, device: str | None) -> str:
    """The device to load onto: the one asked for, else the saved one if available."""
    if device is not None:
        return device
    kind = torch.device(saved_device).type
    available = (
        kind == "cpu"
        or (kind == "cuda" and torch.cuda.is_available())
        or (kind == "mps" and torch.backends.mps.is_available())
    )
    if not available:
        warnings.warn(
            f"The model was saved from device {saved_device!r}, which is not available here; "
            "loading it on the CPU.",
            UserWarning,
            stacklevel=4,
        )
        return "cpu"
    return saved_device
