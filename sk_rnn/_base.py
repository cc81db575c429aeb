"""RNNBase: the fit/predict flow every estimator shares, and the contract of its subclasses.

An sk_rnn estimator is a plain scikit-learn estimator. ``fit`` validates and encodes the
input once (``InputEncodingMixin``), encodes the targets (the subclass), builds the torch
module from fitted sizes, and hands training to a skorch net (``net_``, ``sk_rnn._net``):
skorch runs the one training loop, its callbacks, history, gradient clipping and early
stopping. Prediction, scoring and generation all go through one runner (``_run``), so
their memory is bounded by ``batch_size`` for every estimator.

The subclass contract
---------------------
A subclass is one public estimator. It declares its parameters (an explicit ``__init__``
signature whose body is ``store_parameters(self, locals())``, and
``_parameter_constraints``) and implements these hooks, and nothing else of the base:

``_fit_targets(y, sample_weight)`` (optional)
    Learn the target-side fitted attributes from ``y`` (``classes_``, target scaling, a
    target vocabulary), weighting statistics by ``sample_weight`` (None, or one float
    per sample). Called once per fresh fit, before ``_encode_targets``.
``_encode_targets(y, sequences)``
    Validate ``y`` against the encoded input (one target per sequence, or one per step)
    and encode it with the fitted attributes, in a form :func:`sk_rnn._data.make_dataset`
    takes: an array with one target per sequence, :class:`~sk_rnn._data.StepTargets`, or
    :class:`~sk_rnn._data.Sequences` of target token ids (or None, for no targets).
``_build_task_module(encoder)``
    The torch module on top of the recurrent encoder, built from parameters and fitted
    attributes only; it follows the :class:`~sk_rnn._modules.TaskModule` protocol, so
    its ``loss`` is the estimator's loss.
``_check_params(text)`` (optional, call ``super()``)
    Checks that involve several parameters, or a parameter and the kind of input (text
    or numeric); run at the start of every fresh fit, before anything is trained.
``_net_class``, ``_net_params()``, ``_stratify_validation`` (optional)
    The skorch net class (``SequenceNet``; ``StreamNet`` for token streams), its extra
    arguments, and whether early stopping's validation split is stratified by target.

Prediction methods pass a ``step(module, inputs, targets)`` function to :meth:`_run`
(through :meth:`_predict_rows` or :meth:`_predict_steps` for the usual shapes) and turn
its outputs into the user's labels and units.
"""

from __future__ import annotations

import copy
import warnings
from numbers import Integral

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, _fit_context
from sklearn.utils import TransformerTags, check_random_state
from sklearn.utils._available_if import available_if
from sklearn.utils.validation import check_array, check_is_fitted
from skorch.callbacks import EarlyStopping, GradientNormClipping, ProgressBar
from skorch.history import History

from ._data import (
    BucketBatchIterator,
    in_background,
    make_dataset,
    pin_memory,
    positional,
    to_device,
)
from ._device import check_precision, resolve_device, seeded
from ._inputs import InputEncodingMixin
from ._modules import RecurrentEncoder, set_dropout
from ._net import CosineSchedule, HoldoutSplit, LastGoodEpoch, SequenceNet, accelerated
from ._parameters import (
    AUTO_BY_INPUT,
    AUTO_EARLY_STOPPING_SAMPLES,
    AUTO_EPOCHS,
    AUTO_UPDATES,
    SHARED_CONSTRAINTS,
    resolve_auto,
)
from ._persistence import SafeSaving, history_to_json, module_state, resolve_load_device
from ._text import is_text_input, pretrained_dimension

# Prediction validates and encodes this many batches at a time, so that its memory grows
# with batch_size, not with the number of samples.
_PREDICT_CHUNK_BATCHES = 64


class RNNBase(SafeSaving, InputEncodingMixin, BaseEstimator):
    """Base class of the sk_rnn estimators. Not for direct use; see the module docs for
    the hooks a subclass implements."""

    _parameter_constraints: dict = dict(SHARED_CONSTRAINTS)
    _net_class = SequenceNet
    _stratify_validation = False
    _auto_by_input = AUTO_BY_INPUT  # what "auto" means for numeric sequences and for text
    # What a subclass that does not declare these parameters gets: the behaviour from
    # before they existed (raw inputs, a constant learning rate).
    standardize = False
    lr_schedule = "constant"

    # -- hooks for subclasses ----------------------------------------------------------

    def _fit_targets(self, y, sample_weight=None) -> None:
        """Learn the target-side fitted attributes from ``y`` (nothing by default)."""

    def _encode_targets(self, y, sequences):
        """``y`` checked against ``sequences`` and encoded for the dataset."""
        raise NotImplementedError

    def _build_task_module(self, encoder: RecurrentEncoder) -> torch.nn.Module:
        """The task module on ``encoder``, built from parameters and fitted attributes."""
        raise NotImplementedError

    def _check_params(self, text: bool) -> None:
        """Cross-parameter checks, and checks of parameters against the kind of input."""
        if text and self.frame_size not in (1, "auto"):
            raise ValueError("frame_size applies to numeric sequences, not to text.")
        if self.accelerator is not None and self.precision != "32":
            raise ValueError(
                "With an accelerator, set mixed precision on it "
                "(Accelerator(mixed_precision=...)) and leave precision='32'."
            )

    def _net_params(self) -> dict:
        """Extra keyword arguments of ``_net_class``."""
        return {}

    # -- training ----------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : list of arrays (n_steps_i, n_features), array, list of str or of token lists
            Training sequences: ragged (a list), equal-length (3-D array), one
            univariate sequence per row (2-D array or DataFrame), texts (tokenized with
            ``tokenizer``) or lists of string tokens.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets, one per sequence.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence in the loss (the early-stopping validation loss
            included): a weight of 0 removes a sequence, 2 counts it twice. Routed by
            scikit-learn's metadata routing (``set_fit_request``).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        reset = not self._continuing()
        return self._fit(X, y, sample_weight=sample_weight, epochs=None, reset=reset)

    def _continuing(self) -> bool:
        return self.warm_start and hasattr(self, "net_")

    def _fit(
        self, X, y, *, sample_weight=None, epochs: int | None, reset: bool, fit_targets_on=None
    ):
        """Encode ``X`` and ``y``, (re)build the net on a fresh fit, and train.

        ``epochs`` None means ``max_epochs`` (resolved for this data if "auto").
        ``fit_targets_on`` replaces ``y`` for :meth:`_fit_targets` (the label set a first
        ``partial_fit`` declares).
        """
        if y is None and self.__sklearn_tags__().target_tags.required:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        X = positional(X)
        weights = check_sample_weight(sample_weight, len(X))
        if reset:
            self._check_params(is_text_input(X))
            self._fitted_params_ = self.get_params(deep=False)
        else:
            changed = self._check_parameter_changes()
        sequences = self._encode_inputs(X, reset=reset, sample_weight=weights)
        if reset:
            if fit_targets_on is None:
                self._fit_targets(y, weights)
            else:
                self._fit_targets(fit_targets_on)
        dataset = make_dataset(sequences, self._encode_targets(y, sequences), weights)
        if reset:
            self.early_stopping_ = self._resolve_early_stopping(len(dataset))
            self._initialize_net()
        else:
            self._apply_parameter_changes(changed, len(dataset))
        return self._train(dataset, epochs or self._resolve_max_epochs(len(dataset)))

    def _resolve_early_stopping(self, n_samples: int) -> bool:
        if self.early_stopping == "auto":
            return n_samples >= AUTO_EARLY_STOPPING_SAMPLES
        return bool(self.early_stopping)

    def _resolve_max_epochs(self, n_samples: int) -> int:
        if self.max_epochs != "auto":
            return int(self.max_epochs)
        n_train = n_samples * (1 - self.validation_fraction if self.early_stopping_ else 1)
        batches = max(1, int(np.ceil(n_train / self.batch_size)))
        return int(np.clip(np.ceil(AUTO_UPDATES / batches), *AUTO_EPOCHS))

    # Parameters that only steer training (and prediction): when training continues
    # (warm_start, partial_fit) a new value takes effect. Every other parameter shapes
    # the fitted network or its encoding, and cannot change without a fresh fit.
    _training_parameters = frozenset(
        {
            "dropout",
            "token_dropout",
            "max_epochs",
            "batch_size",
            "lr",
            "lr_schedule",
            "optimizer",
            "optimizer_params",
            "clip_grad_norm",
            "early_stopping",
            "validation_fraction",
            "n_iter_no_change",
            "callbacks",
            "device",
            "precision",
            "accelerator",
            "random_state",
            "warm_start",
            "verbose",
        }
    )
    # Read at prediction time: saved as they are now, not as they were at fit.
    _prediction_parameters = ("batch_size", "verbose")

    def _check_parameter_changes(self) -> list[str]:
        """Before continued training (before any data is encoded): the parameters changed
        since the fit; refuse changed parameters that shape the fitted network."""
        current = self.get_params(deep=False)
        changed = [n for n, v in current.items() if not _same(v, self._fitted_params_[n])]
        fixed = [n for n in changed if n not in self._training_parameters]
        if fixed:
            was = ", ".join(f"{n}={self._fitted_params_[n]!r}" for n in fixed)
            now = ", ".join(f"{n}={current[n]!r}" for n in fixed)
            raise ValueError(
                f"Training continues the fitted network, which was fitted with {was}; it "
                f"cannot continue with {now}. Fit afresh (warm_start=False, or a new "
                "estimator), or set them back."
            )
        return changed

    def _apply_parameter_changes(self, changed: list[str], n_samples: int) -> None:
        """Make the ``changed`` training parameters take effect in the net that continues."""
        if not changed:
            return
        self._fitted_params_ = self.get_params(deep=False)
        if "early_stopping" in changed:
            self.early_stopping_ = self._resolve_early_stopping(n_samples)
        old = self.net_
        module = old.module_
        set_dropout(module, self._resolved("dropout"), self.token_dropout)
        seed = old.shuffle_seed
        if "random_state" in changed:
            seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        self.net_ = self._build_net(module, self._training_device(), seed).initialize()
        if type(self.net_.optimizer_) is type(old.optimizer_):
            # Keep the optimizer's running state; the new lr and settings replace the old.
            self.net_.optimizer_.load_state_dict(old.optimizer_.state_dict())
            for group in self.net_.optimizer_.param_groups:
                group.update(lr=self.lr, **(self.optimizer_params or {}))
        self.net_.history = old.history
        self.history_ = self.net_.history

    def _resolved(self, name: str):
        """Parameter ``name`` of this model, "auto" resolved for the kind of input it is
        fitted on (``_auto_by_input``)."""
        text = self.vectorizer_ is not None
        return resolve_auto(name, getattr(self, name), text, self._auto_by_input)

    def _training_device(self) -> torch.device:
        """The device to train on, checked to exist and to support ``precision``."""
        if self.accelerator is not None:
            return torch.device(self.accelerator.device)
        device = torch.device(resolve_device(self.device))
        check_precision(self.precision, str(device))
        return device

    def _build_module(self) -> torch.nn.Module:
        """The whole torch module: the shared encoder and the subclass's task module."""
        input_size, vocabulary_size = self._input_layer_sizes()
        encoder = RecurrentEncoder(
            input_size,
            self._resolved("cell"),
            self.hidden_size,
            self.num_layers,
            self.bidirectional,
            self._resolved("dropout"),
            vocabulary_size=vocabulary_size,
            character_encoder=self._build_character_encoder(),
            token_dropout=self.token_dropout,
        )
        if encoder.embedding is not None and self.freeze_embeddings:
            encoder.embedding.weight.requires_grad_(False)
        return self._build_task_module(encoder)

    def _build_character_encoder(self) -> torch.nn.Module | None:
        """Per-token character features joining the embeddings; none unless a subclass adds them."""
        return None

    def _initialize_net(self) -> None:
        """Build the torch module and the skorch net from fitted attributes."""
        device = self._training_device()
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        with seeded(device, seed):
            module = self._build_module()
            self._load_pretrained_embeddings(module)
            self.net_ = self._build_net(module, device, seed).initialize()
        self.history_ = self.net_.history

    # -- the safe file format (see _persistence.py) -------------------------------------

    _unsaved_attributes = ("net_", "history_")

    def _saved_parameters(self) -> dict:
        """The parameters the network was fitted with, and the prediction parameters as
        they are now: what the file needs to rebuild and to predict as this model does."""
        params = dict(self._fitted_params_)
        params.update({name: getattr(self, name) for name in self._prediction_parameters})
        if params.get("embeddings") is not None and params.get("embedding_dim") in (None, "auto"):
            params["embedding_dim"] = pretrained_dimension(params["embeddings"])
        for name, why in _NEEDED_ONLY_TO_FIT.items():
            if params.get(name) is not None:
                warnings.warn(
                    f"{name} {why} and not saved; the loaded model has {name}=None.",
                    UserWarning,
                    stacklevel=5,  # the caller of save()
                )
                params[name] = None
        if not isinstance(params.get("random_state"), Integral | None):
            params["random_state"] = None  # a RandomState's state only matters for fitting
        return params

    def _saved_state(self, tensors: dict, prefix: str) -> dict:
        for name, tensor in self.net_.module_.state_dict().items():
            tensors[f"{prefix}module.{name}"] = tensor.detach().to("cpu").contiguous().clone()
        history, as_strings = history_to_json(self.history_)
        if as_strings:
            warnings.warn(
                f"The training history holds values that are not numbers: "
                f"{', '.join(sorted(as_strings))}; the safe format saves them as strings.",
                UserWarning,
                stacklevel=5,  # the caller of save()
            )
        return {"device": self.device_, "history": history}

    def _restore_state(self, state: dict, tensors: dict, prefix: str, device) -> None:
        """Rebuild the net around saved weights, checking their shapes before building."""
        if not hasattr(self, "frame_size_"):  # files of format version 1
            self.frame_size_ = getattr(self, "frame_size", 1)
        weights = module_state(tensors, prefix)
        with torch.device("meta"):  # shapes only, nothing allocated
            expected = {k: tuple(v.shape) for k, v in self._build_module().state_dict().items()}
        found = {k: tuple(v.shape) for k, v in weights.items()}
        if expected != found:
            name = next(
                k for k in sorted(expected.keys() | found.keys()) if expected.get(k) != found.get(k)
            )
            raise ValueError(
                f"the weights do not fit the network the header describes: {name!r} has "
                f"shape {found.get(name)} in the file and {expected.get(name)} in the network"
            )
        module = self._build_module()
        module.load_state_dict(weights)
        device = resolve_load_device(str(state["device"]), device)
        seed = self.random_state if isinstance(self.random_state, int) else 0
        self.net_ = self._build_net(module, torch.device(device), seed).initialize()
        self.net_.history = History(state["history"])
        self.history_ = self.net_.history

    def _train(self, dataset, epochs: int):
        net = self.net_
        # Dropout draws from torch's global RNG: fork it, seeded per run, so fits are
        # reproducible and the caller's random state is left untouched.
        net.max_epochs = epochs  # the length of this run, which the lr schedule reads
        with seeded(net.compute_device, net.shuffle_seed + len(net.history)):
            net.partial_fit(dataset, epochs=epochs)
        self.history_ = net.history
        return self

    @property
    def device_(self) -> str:
        """The device the fitted model lives on (CPU after loading a GPU model without GPU)."""
        return str(self.net_.compute_device)

    def _build_net(self, module, device, seed) -> SequenceNet:
        callbacks = [copy.deepcopy(cb) for cb in self.callbacks or []]
        callbacks.append(("last_good_epoch", LastGoodEpoch()))
        if self.clip_grad_norm is not None:
            callbacks.append(("clip_grad_norm", GradientNormClipping(self.clip_grad_norm)))
        if self.lr_schedule == "cosine":
            callbacks.append(("lr_schedule", CosineSchedule()))
        train_split = None
        if getattr(self, "early_stopping_", False):
            stopper = EarlyStopping(patience=self.n_iter_no_change, load_best=True, sink=self._log)
            callbacks.append(("early_stopping", stopper))
            train_split = HoldoutSplit(self.validation_fraction, seed, self._stratify_validation)
        if self.verbose:
            callbacks.append(("progress_bar", ProgressBar()))
        net_class, placement = self._net_class, {"device": device}
        if self.accelerator is not None:
            net_class = accelerated(net_class)
            # skorch prints with any sink but print even when verbose=0; print on the main
            # process only (accelerator.print) when asked to print. The accelerator
            # places the module, so the net's device is None (as skorch asks).
            sink = self.accelerator.print if self.verbose else print
            placement = {
                "accelerator": self.accelerator,
                "device": None,
                "callbacks__print_log__sink": sink,
            }
        return net_class(
            module,
            optimizer=self.optimizer,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            train_split=train_split,
            callbacks=callbacks,
            # A model fitted in fp16 on a GPU predicts in float32 where it is loaded on a CPU.
            precision="32"
            if self.precision == "fp16" and device.type != "cuda"
            else self.precision,
            verbose=self.verbose,
            shuffle_seed=seed,
            **placement,
            **self._net_params(),
            **{f"optimizer__{k}": v for k, v in (self.optimizer_params or {}).items()},
        )

    def _log(self, message):
        if self.verbose:
            print(message)

    # -- prediction, scoring and generation: one runner ---------------------------------

    def _inference_batches(self, X, y=None, *, dataset=None):
        """``X`` (and ``y``) validated, encoded and batched for inference.

        Yields ``(samples, inputs, targets)``: the positions in ``X`` of the batch's
        sequences, the module's inputs and the encoded targets (CPU tensors), as the
        datasets of ``sk_rnn._data`` give them. ``X`` is validated and encoded a chunk at
        a time, so peak memory depends on ``batch_size``, not on the number of samples.

        ``dataset(sequences, y_chunk)`` builds each chunk's dataset; by default the
        training dataset of the chunk (with ``_encode_targets`` when ``y`` is given).
        """
        check_is_fitted(self)
        X = positional(X)
        y = None if y is None else positional(y)
        if dataset is None:
            dataset = self._scoring_dataset
        chunk = self.batch_size * _PREDICT_CHUNK_BATCHES
        for start in range(0, max(len(X), 1), chunk):
            sequences = self._encode_inputs(
                X[start : start + chunk], reset=False, first_index=start
            )
            data = dataset(sequences, None if y is None else y[start : start + chunk])
            for batch in BucketBatchIterator(data, self.batch_size).batches():
                inputs, targets = data[batch]
                yield start + batch, inputs, targets

    def _scoring_dataset(self, sequences, y):
        return make_dataset(sequences, None if y is None else self._encode_targets(y, sequences))

    def _run(self, batches, step):
        """Run ``step(module, inputs, targets)`` on every batch, for inference.

        ``batches`` yields ``(samples, inputs, targets)`` (see
        :meth:`_inference_batches`). Each batch goes to the model's device (gathered
        ahead into pinned memory on CUDA) and runs in evaluation mode, under
        ``torch.inference_mode()`` and the model's mixed precision. Yields ``(samples,
        outputs)`` with the outputs (a tensor or a tuple of them) back on the CPU, at
        full precision.
        """
        check_is_fitted(self)
        net = self.net_
        module = net.task_module
        device = net.compute_device
        module.eval()
        if device.type == "cuda":
            batches = in_background(map(pin_memory, batches))
        for samples, inputs, targets in batches:
            inputs = to_device(inputs, device, non_blocking=device.type == "cuda")
            targets = to_device(targets, device, non_blocking=device.type == "cuda")
            with torch.inference_mode(), net.autocast():
                outputs = step(module, inputs, targets)
            yield samples, _to_cpu(outputs)

    def _predict_rows(self, X, step, y=None, dataset=None) -> np.ndarray:
        """``step``'s outputs, one row per sample of ``X`` (scored against ``y`` when
        given), in the order of ``X``; ``dataset`` as for :meth:`_inference_batches`."""
        samples, outputs = [], []
        batches = self._inference_batches(X, y, dataset=dataset)
        for batch, batch_outputs in self._run(batches, step):
            samples.append(batch)
            outputs.append(batch_outputs.numpy())
        result = np.empty((sum(map(len, samples)), *outputs[0].shape[1:]), outputs[0].dtype)
        result[np.concatenate(samples)] = np.concatenate(outputs)
        return result

    def _predict_steps(self, X, step) -> list[np.ndarray]:
        """``step``'s per-step outputs, cut into one array per sequence of ``X``.

        ``step`` returns a tensor of shape ``(batch, steps, ...)``; each sequence keeps
        its first ``length`` steps (its length in model steps).
        """

        def with_lengths(module, inputs, targets):
            return step(module, inputs, targets), inputs["lengths"]

        out = [None] * len(positional(X))
        for samples, (outputs, lengths) in self._run(self._inference_batches(X), with_lengths):
            for sample, values, n in zip(samples, outputs.numpy(), lengths.tolist(), strict=True):
                out[sample] = values[:n]
        return out

    def _forward(self, X) -> np.ndarray:
        """The module's outputs for ``X``, one row per sample, in the order of ``X``."""
        return self._predict_rows(X, _module_outputs)


def _reads_one_vector_per_sequence(estimator) -> bool:
    return not getattr(estimator, "per_step", False)


class SequenceFeaturesMixin(ClassNamePrefixFeaturesOutMixin):
    """``transform``: a trained sequence-level model as a featurizer.

    For estimators whose module has ``features(x, lengths)`` (the representation its
    head reads, :class:`~sk_rnn._modules.SequencePredictor`).
    """

    @available_if(_reads_one_vector_per_sequence)
    def transform(self, X) -> np.ndarray:
        """The vector the model's head reads for each sequence: the pooled recurrent
        outputs, joined by the convolution branch's features when there is one.

        Use it to cluster, plot or search sequences, or as features for another model.
        The vectors of the training sequences are fitted ones: a model stacked on them
        should be trained on other sequences (or on ``cross_val_predict``-style
        out-of-fold vectors), as for any stacking.

        Parameters
        ----------
        X : sequences, as for :meth:`predict`

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            Named by :meth:`get_feature_names_out`.
        """
        return self._predict_rows(X, _module_features).astype(np.float64)

    @available_if(_reads_one_vector_per_sequence)
    def fit_transform(self, X, y, **fit_params) -> np.ndarray:
        """Fit on ``X, y`` (``fit_params`` as for :meth:`fit`), then :meth:`transform` ``X``."""
        return self.fit(X, y, **fit_params).transform(X)

    @property
    def _n_features_out(self) -> int:
        return self.net_.task_module.head.in_features

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if _reads_one_vector_per_sequence(self):  # RNNRegressor(per_step=True) has none
            tags.transformer_tags = TransformerTags()
        return tags


def _module_features(module, inputs, targets):
    return module.features(**inputs)


_NEEDED_ONLY_TO_FIT = {
    "callbacks": "are only needed to fit",
    "embeddings": "are only needed to fit (embedding_dim keeps their size)",
    "accelerator": "is only needed to fit",
}


def check_sample_weight(sample_weight, n_samples: int) -> np.ndarray | None:
    """``sample_weight`` as float32 weights, one per sample, or None for equal weights."""
    if sample_weight is None:
        return None
    weights = check_array(
        positional(sample_weight, "sample_weight"),
        ensure_2d=False,
        dtype=np.float64,
        input_name="sample_weight",
    )
    if weights.ndim != 1 or len(weights) != n_samples:
        raise ValueError(
            f"sample_weight has shape {weights.shape}; it needs one weight per sample, "
            f"shape ({n_samples},)."
        )
    if (weights < 0).any():
        raise ValueError(
            f"sample_weight must be non-negative; sample {int(np.argmax(weights < 0))} has "
            f"weight {weights[weights < 0][0]}."
        )
    if not weights.any():
        raise ValueError("sample_weight is zero for every sample: nothing to learn from.")
    return weights.astype(np.float32)


def _same(a, b) -> bool:
    """Whether two parameter values are the same (arrays by value, objects by identity)."""
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False


def _module_outputs(module, inputs, targets):
    return module(**inputs)


def _to_cpu(outputs):
    """Outputs on the CPU; 16-bit floats (mixed precision) come back as float32."""
    if isinstance(outputs, tuple):
        return tuple(_to_cpu(o) for o in outputs)
    if outputs.dtype in (torch.float16, torch.bfloat16):
        outputs = outputs.float()
    return outputs.cpu()
