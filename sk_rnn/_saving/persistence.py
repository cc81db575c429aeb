"""Saving and loading models without pickle: one safetensors file with a JSON header.

Format (``format_version`` 3): a standard safetensors file. Its tensors are the weights of
the torch modules, named ``module.<name>`` (``<attribute>.module.<name>`` for a fitted
estimator inside another, like RNNForecaster's ``regressor_``). Its string metadata holds
one key, ``"sk_rnn"``, a JSON document with the format version, the sk_rnn version, and
the estimator: its class (``sk_rnn.<name>`` for sk_rnn's, ``<module>.<qualified name>``
for others), the parameters it was fitted with, its fitted attributes (labels,
vocabulary, scaling; a fitted estimator inside, like the vocabulary, as an entry of the
same form) and, for networks, the training history and device.

Loading parses JSON and raw tensors only, brings a file of an earlier format version up
to date (``sk_rnn._saving.migrations``), maps the class name through the registry of classes
that exist in this process (every subclass of :class:`SafeSaving` registers itself when
it is defined), validates the parameters as ``fit`` does, sets only well-formed
fitted-attribute names, and compares the weights' shapes with the network the header
describes before building it: nothing in the file is executed, no module is imported by
name, and a header cannot make loading allocate more than the file holds. Pickle and
joblib remain available for scikit-learn compatibility, but load pickles only from
sources you trust. Files of format versions 1 and 2 still load and predict as before.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import secrets
import stat
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as serialise
from sklearn.utils.validation import check_is_fitted

from .._version import __version__
from .._warnings import warn_user
from .fitted_schema import check_fitted
from .migrations import fill_absent, saved_name, upgrade_header
from .onnx_format import array_from_json

__all__ = [
    "FORMAT_VERSION",
    "SafeSaving",
    "history_to_json",
    "load",
    "module_state",
    "resolve_load_device",
    "save",
    "target_file",
    "write_atomically",
]

FORMAT = "sk_rnn"
FORMAT_VERSION = 3

# Saved name -> class, filled by SafeSaving.__init_subclass__.
_REGISTRY: dict[str, type] = {}
_FITTED_NAME = re.compile(r"[a-z][a-z0-9_]*_")


def _register(cls: type) -> None:
    """Make ``cls`` loadable by its saved name; another class of that name is an error
    (it would load files meant for the first), unless the class is redefined where that
    is routine: in ``__main__`` (a notebook cell run again) or inside a function."""
    name = saved_name(cls)
    known = _REGISTRY.get(name)
    redefinable = cls.__module__ == "__main__" or "<locals>" in cls.__qualname__
    if known is not None and known is not cls and not redefinable:
        raise TypeError(
            f"Another class is already saved as {name!r} ({known!r}); two classes with one "
            "module and name cannot both load from the safe format. Rename one."
        )
    _REGISTRY[name] = cls


class SafeSaving:
    """Mixin of every estimator that saves to the safe format.

    A subclass is registered for :func:`load` when its class statement runs, so a user's
    own subclass loads as soon as it is defined (or imported) in the loading process;
    loading never imports anything by name.

    What is saved: ``_saved_parameters()`` (by default ``_fitted_params_``, the
    parameters a subclass's ``fit`` records) and every public fitted attribute (name
    ending in ``_``) except ``_unsaved_attributes``; a subclass with weights adds them in
    ``_saved_state(tensors, prefix)`` and restores them in ``_restore_state(state,
    tensors, prefix, device)``.
    """

    _unsaved_attributes: tuple[str, ...] = ()
    # Fitted attribute -> check of its saved value (sk_rnn._saving.fitted_schema); a file with
    # an attribute its class does not declare is refused.
    _fitted_constraints: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _register(cls)

    def save(self, path) -> None:
        """Save the fitted model to ``path`` without pickle; load it with :func:`sk_rnn.load`.

        One safetensors file: the weights, plus a JSON header with the parameters the
        model was fitted with, its labels and its other fitted attributes. Loading it
        never executes code, so it is safe for files from untrusted sources (pickle and
        joblib files are not). The file holds the fitted model as it is, whatever
        ``set_params`` changed since the fit: the loaded model predicts exactly what this
        one does.

        The file is written next to its destination under a temporary name of this
        writer's own, flushed to disk, and renamed into place: an interrupted save leaves
        any previous file intact, and several processes may save to one path at once
        (the last one's file stays). Saving through a symbolic link writes the file it
        points to; an existing file keeps its permissions.

        Parameters
        ----------
        path : str or path-like
            Destination file, conventionally ending in ``.safetensors``.
        """
        save(self, path)

    def _saved_parameters(self) -> dict:
        """The parameters of the fit (``_fitted_params_``, recorded by ``fit``)."""
        return dict(self._fitted_params_)

    def _saved_state(self, tensors: dict, prefix: str) -> dict:
        """Extra header entries; add weights to ``tensors`` under ``prefix``."""
        return {}

    def _restore_state(self, state: dict, tensors: dict, prefix: str, device) -> None:
        """Rebuild what ``_saved_state`` saved (called after the fitted attributes are set)."""


# -- values as JSON ------------------------------------------------------------------------


def _to_json(value, what: str, tensors: dict, prefix: str):
    """``value`` as JSON; the weights of a fitted estimator inside go to ``tensors``."""
    if isinstance(value, SafeSaving):
        if what.endswith("_"):  # a fitted attribute: the whole fitted estimator
            return {"__fitted_estimator__": _estimator_state(value, tensors, prefix + what + ".")}
        params = value.get_params(deep=False)  # a parameter: an estimator to fit
        return {
            "__estimator__": saved_name(type(value)),
            "params": {k: _to_json(v, f"{what}__{k}", tensors, prefix) for k, v in params.items()},
        }
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "mM":  # dates and durations, as integers of their unit
            return {"__ndarray__": value.view(np.int64).tolist(), "dtype": value.dtype.str}
        if value.dtype.kind not in "biufU":
            raise ValueError(
                f"{what} has dtype {value.dtype}, which the safe format cannot store; use "
                "labels/values that are numbers or strings, or pickle (trusted files only)."
            )
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, torch.device):
        return {"__device__": str(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [_to_json(v, what, tensors, prefix) for v in value]}
    if isinstance(value, list):
        return [_to_json(v, what, tensors, prefix) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _to_json(v, f"{what}[{k!r}]", tensors, prefix) for k, v in value.items()}
        # Keys that are not strings (class_weight={0: 1.0}) keep their type.
        return {
            "__dict__": [
                [_to_json(k, what, tensors, prefix), _to_json(v, f"{what}[{k!r}]", tensors, prefix)]
                for k, v in value.items()
            ]
        }
    if isinstance(value, type) and issubclass(value, torch.optim.Optimizer):
        if getattr(torch.optim, value.__name__, None) is not value:
            raise ValueError(
                f"{what}={value!r} is not one of torch.optim's optimizers, so the safe format "
                "cannot name it; use pickle (trusted files only)."
            )
        return {"__optimizer__": value.__name__}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise ValueError(
        f"{what}={value!r} cannot be stored in the safe format (JSON); use pickle "
        "(trusted files only)."
    )


def _from_json(value, tensors: dict, device):
    if isinstance(value, list):
        return [_from_json(v, tensors, device) for v in value]
    if not isinstance(value, dict):
        return value
    if "__fitted_estimator__" in value:
        return _restore_estimator(value["__fitted_estimator__"], tensors, device)
    if "__estimator__" in value:
        cls = _registered_class(value["__estimator__"])
        return cls(**{k: _from_json(v, tensors, device) for k, v in _dict(value, "params").items()})
    if "__ndarray__" in value:
        return array_from_json(value["__ndarray__"], value.get("dtype"), "biufUmM")
    if "__device__" in value:
        return torch.device(value["__device__"])
    if "__tuple__" in value:
        return tuple(_from_json(v, tensors, device) for v in value["__tuple__"])
    if "__dict__" in value:
        return {
            _from_json(k, tensors, device): _from_json(v, tensors, device)
            for k, v in value["__dict__"]
        }
    if "__optimizer__" in value:
        optimizer = getattr(torch.optim, value["__optimizer__"], None)
        if not (isinstance(optimizer, type) and issubclass(optimizer, torch.optim.Optimizer)):
            raise ValueError(f"unknown optimizer {value['__optimizer__']!r}")
        return optimizer
    return {k: _from_json(v, tensors, device) for k, v in value.items()}


def history_to_json(history) -> tuple[list, set]:
    """A skorch history as JSON: numbers, strings and containers as they are, numpy and
    torch scalars as numbers, anything else as its string. Returns the entries and the
    keys whose values had to become strings."""
    as_strings = set()

    def plain(value, key):
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, np.generic) or (
            isinstance(value, torch.Tensor) and value.numel() == 1
        ):
            return value.item()
        if isinstance(value, list | tuple):
            return [plain(v, key) for v in value]
        if isinstance(value, dict):
            return {str(k): plain(v, k) for k, v in value.items()}
        as_strings.add(f"{key!r} (a {type(value).__name__})")
        return str(value)

    return [plain(epoch, "epoch") for epoch in history], as_strings


# -- save ----------------------------------------------------------------------------------


def save(estimator, path) -> None:
    """Save a fitted sk_rnn estimator to ``path`` in the safe format (see module docs)."""
    check_is_fitted(estimator)
    target = target_file(path)
    tensors: dict = {}
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "sk_rnn_version": __version__,
        **_estimator_state(estimator, tensors, ""),
    }
    write_atomically(target, serialise(tensors, metadata={"sk_rnn": json.dumps(header)}), path)


def _estimator_state(estimator, tensors: dict, prefix: str) -> dict:
    params = estimator._saved_parameters()
    fitted = {
        name: _to_json(value, name, tensors, prefix)
        for name, value in vars(estimator).items()
        if _FITTED_NAME.fullmatch(name) and name not in estimator._unsaved_attributes
    }
    return {
        "estimator": saved_name(type(estimator)),
        "prefix": prefix,
        "params": {name: _to_json(value, name, tensors, prefix) for name, value in params.items()},
        "fitted": fitted,
        **estimator._saved_state(tensors, prefix),
    }


def target_file(path) -> Path:
    """The file ``path`` names, through symbolic links, checked to be writable there."""
    name = os.fspath(path)
    if not name or Path(name).is_dir():
        raise ValueError(f"save needs the path of a file, got {name!r}.")
    target = Path(os.path.realpath(name))
    if not target.parent.is_dir():
        raise FileNotFoundError(
            f"Cannot save to {name}: the folder {target.parent} does not exist."
        )
    return target


def write_atomically(target: Path, data: bytes, path) -> None:
    """Write ``data`` to ``target`` through a temporary file of this writer's own beside
    it (``<name>.<pid>.<random>.partial``), flushed and renamed into place: writers of one
    path never share a temporary file, and the last rename wins."""
    partial = target.with_name(f"{target.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")
    try:
        # A new file gets 0o666 less the umask (as open() gives); an existing one keeps its
        # mode.
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o666
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view) :]
            if target.exists():
                os.fchmod(descriptor, mode)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(partial, target)
        _sync_folder(target.parent)
    except OSError as error:
        _remove(partial)
        raise type(error)(
            error.errno, f"Cannot save to {os.fspath(path)}: {error.strerror}"
        ) from None
    except BaseException:
        _remove(partial)
        raise


def _remove(partial: Path) -> None:
    """Remove a temporary file if there is one; a folder that refuses (read-only) had
    none written into it."""
    with contextlib.suppress(OSError):
        partial.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    """Flush the rename to disk, where the system lets a folder be opened for that."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


# -- load ----------------------------------------------------------------------------------


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
    estimator : sk_rnn estimator
        The fitted estimator (an RNNClassifier, RNNRegressor, RNNTagger, RNNLanguageModel,
        RNNSeq2Seq or RNNForecaster), of the class it was saved from, ready to predict (and to
        continue training with ``warm_start=True`` or ``partial_fit``, with a fresh
        optimizer state). A subclass of your own loads once its class is defined.

    Raises
    ------
    ValueError
        If the file is not an sk_rnn model, is truncated or corrupted, was written by a
        newer format version, or describes parameters or weights that do not fit
        together; the message names the file.
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
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ValueError("its header does not say format 'sk_rnn'")
        version = header.get("format_version")
        if not isinstance(version, int):
            raise ValueError("its header has no format version")
        if version > FORMAT_VERSION:
            raise ValueError(
                f"it has format version {version}, written by sk_rnn "
                f"{header.get('sk_rnn_version')}; this sk_rnn reads up to version "
                f"{FORMAT_VERSION}. Upgrade sk_rnn to load it"
            )
        return _restore_estimator(upgrade_header(header), tensors, device)
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
        raise ValueError(f"{path} is not a valid sk_rnn model file: {exc}") from None


def _restore_estimator(state, tensors: dict, device):
    if not isinstance(state, dict):
        raise ValueError("an estimator's entry is not a JSON object")
    missing = [key for key in ("estimator", "params", "fitted") if key not in state]
    if missing:
        raise ValueError(f"an estimator's entry has no {missing[0]!r}")
    cls = _registered_class(state["estimator"])
    fitted = _dict(state, "fitted")
    for name in fitted:  # before anything is decoded: an unknown entry allocates nothing
        if (
            not _FITTED_NAME.fullmatch(name)
            or hasattr(cls, name)
            or name not in cls._fitted_constraints
        ):
            raise ValueError(f"{name!r} is not a fitted attribute of {cls.__name__}")
    params = {k: _from_json(v, tensors, device) for k, v in _dict(state, "params").items()}
    for name in fitted:
        if name in params:
            raise ValueError(f"{name!r} is not a fitted attribute")
    fitted = {name: _from_json(value, tensors, device) for name, value in fitted.items()}
    fill_absent(cls, params, fitted)
    # A parameter left out would take the class's default: another model than the saved one.
    missing = [name for name in cls._get_param_names() if name not in params]
    if missing:
        raise ValueError(f"the parameter {missing[0]!r} is missing")
    check_fitted(fitted, cls)
    estimator = cls(**params)
    estimator._validate_params()  # the checks fit runs: batch_size=0 is refused here
    for name, value in fitted.items():
        setattr(estimator, name, value)
    prefix = state.get("prefix", "")
    if not isinstance(prefix, str):
        raise ValueError("an estimator's prefix is not a string")
    estimator._fitted_params_ = estimator.get_params(deep=False)
    estimator._restore_state(state, tensors, prefix, device)
    return estimator


def _registered_class(name) -> type:
    if isinstance(name, str) and name not in _REGISTRY and name.startswith("sk_rnn."):
        # sk_rnn's own classes are imported on first use (the package exports them
        # lazily): import the one named, if sk_rnn exports it; nothing else is imported.
        package = importlib.import_module("sk_rnn")
        if name.removeprefix("sk_rnn.") in package.__all__:
            getattr(package, name.removeprefix("sk_rnn."))
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(
            f"unknown estimator {name!r}; if it is a class of your own, define or import it "
            "before loading"
        )
    return _REGISTRY[name]


def _dict(state: dict, key: str) -> dict:
    value = state[key]
    if not isinstance(value, dict):
        raise ValueError(f"{key!r} is not a JSON object")
    return value


def module_state(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The tensors saved under ``prefix + "module."``, by their names in the module."""
    start = prefix + "module."
    return {name[len(start) :]: t for name, t in tensors.items() if name.startswith(start)}


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
        warn_user(
            f"The model was saved from device {saved_device!r}, which is not available here; "
            "loading it on the CPU."
        )
        return "cpu"
    return saved_device
