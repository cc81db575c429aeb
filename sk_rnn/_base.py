"""RNNBase: the fit flow every estimator shares, and the contract of its subclasses.

An sk_rnn estimator is a plain scikit-learn estimator. ``fit`` validates and encodes the
input once (:class:`~sk_rnn._mixins.inputs.InputEncodingMixin`), encodes the targets (the
subclass), builds the torch module from fitted sizes
(:class:`~sk_rnn._mixins.assembly.NetAssemblyMixin`), and hands training to a skorch net
(``net_``, ``sk_rnn._net``): skorch runs the one training loop, its callbacks, history,
gradient clipping and early stopping. Prediction, scoring and generation all go through
one runner (:class:`~sk_rnn._mixins.inference.InferenceMixin`), so their memory is bounded by
``batch_size`` for every estimator; saving goes through
:class:`~sk_rnn._mixins.net_state.NetStateMixin`.

The subclass contract
---------------------
docs/developers.rst lists it, and ``tests/test_extending.py`` enforces it on every
shipped estimator and on a user's own. A subclass declares its parameters (an explicit
``__init__`` signature whose body is ``store_parameters(self, locals())``) and implements
these hooks, and overrides nothing else of the base:

``_encode_targets(y, sequences)`` (required)
    Validate ``y`` against the encoded input (one target per sequence, or one per step)
    and encode it with the fitted attributes, in a form :func:`sk_rnn._datasets.make_dataset`
    takes: an array with one target per sequence, :class:`~sk_rnn._datasets.StepTargets`,
    or :class:`~sk_rnn._sequences.Sequences` of target token ids (or None, for no targets).
``_build_task_module(encoder)`` (required)
    The torch module on top of the recurrent encoder, built from parameters and fitted
    attributes only; it follows the :class:`~sk_rnn._modules.TaskModule` protocol, so
    its ``loss`` is the estimator's loss.
``_fit_targets(y, sample_weight)``
    Learn the target-side fitted attributes from ``y`` (``classes_``, target scaling, a
    target vocabulary), weighting statistics by ``sample_weight`` (None, or one float
    per sample). Called once per fresh fit, before ``_encode_targets``.
``_check_params(text)`` (call ``super()``)
    Checks that involve several parameters, or a parameter and the kind of input (text
    or numeric); run at the start of every fresh fit, before anything is trained.
``_net_params()``
    Extra keyword arguments of ``_net_class``.
``_batches_per_epoch(dataset)``
    Training batches in one epoch of ``dataset``, from which ``max_epochs="auto"`` counts
    epochs (by default one per ``batch_size`` training sequences; the language model's
    batches are ``batch_size`` streams of ``bptt`` tokens).
``_after_training(X, y, sample_weight)``
    Learn what needs the trained network, at the end of a fresh ``fit`` (not
    ``partial_fit``, nor continued training): the regressor's ``shrinkage_``.
``_declared_targets(classes)``
    What ``_fit_targets`` reads on a first ``partial_fit`` that declares ``classes``
    (:class:`DeclaredClassesMixin`).
``_outputs_per_step`` (a property)
    Whether the outputs are per step (then no frames, no ``transform``).
``_onnx_header()``, ``_onnx_network()``
    For an exportable estimator: what the runtime needs besides the input encoding, and
    the network estimator whose module becomes the graph (itself by default).
``_fit_token_features(tokens)``, ``_token_features(tokens)``, ``_build_token_feature_encoder()``
    For token input with more than word ids (the tagger's affixes and characters):
    learn per-token vocabularies on a fresh fit (``tokens`` is None for numeric input),
    give each token's extra id columns, and build the module that reads them.

and these class attributes (the base has defaults for each):

``_parameter_constraints``
    scikit-learn's parameter validation: every parameter of the signature.
``_training_parameters``, ``_network_parameters``
    Every parameter that is not shared (``SHARED_CONSTRAINTS``) is in exactly one: a
    training parameter takes effect when training continues (``warm_start``,
    ``partial_fit``); a network parameter shapes the fitted network or its encoding, and
    continued training refuses a change to it.
``_prediction_parameters``
    Parameters read at prediction time, saved as they are now rather than at fit.
``_auto_by_input``
    What "auto" means for numeric sequences and for text, per parameter that accepts it
    (``sk_rnn._parameters``; none in the base). A fit records the row for its input as
    ``auto_settings_``, so a saved model keeps what "auto" meant when it was fitted.
``_auto_updates``
    The optimizer steps ``max_epochs="auto"`` aims for (``AUTO_UPDATES``).
``_auto_epochs``
    The least and most epochs ``max_epochs="auto"`` may choose (``AUTO_EPOCHS``).
``_net_class``, ``_stratify_validation``
    The skorch net class (``SequenceNet``; ``ClassifierNet``; ``StreamNet`` for token
    streams), and whether early stopping's validation split is stratified by target.
``_fitted_constraints``
    Every fitted attribute ``fit`` writes, with the check its saved value passes on
    load (``sk_rnn._saving.fitted_schema``); a file with an undeclared attribute is refused.
``_onnx_runtime``
    The ``sk_rnn.runtime`` class that reads the estimator's ONNX file, declared on the
    class itself (a subclass is not exported unless it declares one).

Prediction methods pass a ``step(module, inputs, targets)`` function to :meth:`_run`
(through :meth:`_predict_rows` or :meth:`_predict_steps` for the usual shapes) and turn
its outputs into the user's labels and units.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from sklearn.base import BaseEstimator, _fit_context

from ._batching import BucketBatchIterator
from ._datasets import StreamedDataset, make_dataset
from ._device import draw_seed, seeded
from ._labels import check_declared_classes
from ._mixins.assembly import NetAssemblyMixin
from ._mixins.export import OnnxExportMixin
from ._mixins.inference import InferenceMixin, module_outputs
from ._mixins.inputs import InputEncodingMixin
from ._mixins.net_state import NetStateMixin
from ._modules import RecurrentEncoder, set_dropout
from ._net import SequenceNet
from ._parameters import (
    AUTO_EARLY_STOPPING_SAMPLES,
    AUTO_EPOCHS,
    AUTO_UPDATES,
    SHARED_CONSTRAINTS,
    auto_settings,
    fitted_value,
    parameter_value,
)
from ._saving import fitted_schema as schema
from ._text import is_text_input
from ._validation import check_sample_weight, positional

__all__ = ["DeclaredClassesMixin", "RNNBase"]


class RNNBase(
    NetStateMixin,
    InferenceMixin,
    NetAssemblyMixin,
    InputEncodingMixin,
    OnnxExportMixin,
    BaseEstimator,
):
    """Base class of the sk_rnn estimators. Not for direct use; see the module docs for
    the hooks a subclass implements."""

    _parameter_constraints: dict = dict(SHARED_CONSTRAINTS)
    _fitted_constraints: dict = {
        **schema.INPUT_ENCODING_CONSTRAINTS,
        "early_stopping_": schema.boolean,
        "auto_settings_": schema.auto_settings,
    }
    _net_class = SequenceNet
    _stratify_validation = False
    _auto_by_input: dict = {}  # what "auto" means for numeric sequences and for text
    _auto_updates = AUTO_UPDATES  # the optimizer steps max_epochs="auto" aims for
    _auto_epochs = AUTO_EPOCHS  # and the least and most epochs it may choose
    # Shared parameters that only steer training (and prediction): when training
    # continues (warm_start, partial_fit) a new value takes effect. Every other shared
    # parameter shapes the fitted network or its encoding, and cannot change without a
    # fresh fit. A subclass adds its own parameters here or to _network_parameters.
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
    _network_parameters: frozenset = frozenset()

    # -- hooks for subclasses ----------------------------------------------------------

    @property
    def _outputs_per_step(self) -> bool:
        """Whether the outputs are per step (then no frames, no ``transform``)."""
        return False

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
        if text and parameter_value(self, "frame_size") not in (1, "auto"):
            raise ValueError("frame_size applies to numeric sequences, not to text.")
        if self.accelerator is not None and self.precision != "32":
            raise ValueError(
                "With an accelerator, set mixed precision on it "
                "(Accelerator(mixed_precision=...)) and leave precision='32'."
            )

    def _net_params(self) -> dict:
        """Extra keyword arguments of ``_net_class``."""
        return {}

    def _declared_targets(self, classes):
        """What ``_fit_targets`` reads on a first ``partial_fit`` declaring ``classes``."""
        return classes

    def _fit_token_features(self, tokens: list[list[str]] | None) -> None:
        """Learn per-token feature vocabularies from the training ``tokens`` (None for
        numeric input); nothing by default."""

    def _token_features(self, tokens: list[list[str]]) -> np.ndarray | None:
        """Extra id columns of every token, shape ``(total_tokens, k)``, or None."""
        return None

    def _build_token_feature_encoder(self) -> torch.nn.Module | None:
        """The module reading ``_token_features``' columns (its vector joins each
        token's embedding), or None."""
        return None

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
        if self._continuing():
            return self._continue_training(X, y, sample_weight, epochs=None)
        return self._fit_afresh(X, y, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Train for one epoch, continuing from the current weights if fitted.

        The first call learns what ``fit`` learns from the data (the vocabulary, the
        input and target scaling, a target vocabulary) and later calls keep it: later
        texts read words it lacks as ``<unk>``.

        Parameters
        ----------
        X, y, sample_weight : as for :meth:`fit`

        Returns
        -------
        self : object
        """
        return self._partial_fit(X, y, sample_weight)

    def _partial_fit(self, X, y, sample_weight, classes=None):
        if hasattr(self, "net_"):
            return self._continue_training(X, y, sample_weight, epochs=1)
        declared = None if classes is None else self._declared_targets(classes)
        return self._fit_afresh(X, y, sample_weight, epochs=1, fit_targets_on=declared)

    def _continuing(self) -> bool:
        return self.warm_start and hasattr(self, "net_")

    # A fresh fit learns the encodings and builds the net; continued training keeps them.

    def _fit_afresh(self, X, y, sample_weight, *, epochs: int | None = None, fit_targets_on=None):
        """Learn the input and target encodings, build the net and train it. ``epochs``
        None means ``max_epochs`` (resolved if "auto"), then ``_after_training``;
        ``fit_targets_on`` replaces ``y`` for :meth:`_fit_targets` (the labels a first
        ``partial_fit`` declares)."""
        X, weights = self._checked_training_input(X, y, sample_weight)
        self._check_params(is_text_input(X))
        self._fitted_params_ = self.get_params(deep=False)
        # X is validated first; missing="auto" then reads the targets (fitted once).
        targets = (y, weights) if fit_targets_on is None else (fit_targets_on,)
        fit_targets = functools.cache(lambda: self._fit_targets(*targets))
        encoded = lambda steps: (fit_targets(), self._encode_targets(y, steps))[1]  # noqa: E731
        sequences = self._fit_input_encoding(X, weights, targets=encoded)
        fit_targets()
        dataset = make_dataset(sequences, self._encode_targets(y, sequences), weights)
        self.auto_settings_ = auto_settings(self._auto_by_input, self.vectorizer_ is not None)
        self.early_stopping_ = self._resolve_early_stopping(len(dataset))
        self._initialize_net()
        try:
            self._train(dataset, epochs or self._resolve_max_epochs(dataset))
            if epochs is None:
                self._after_training(X, y, sample_weight)
        except ValueError:  # a diverged fit: the model stays unfitted, not half-fitted
            self._forget_net()
            raise
        return self

    def _continue_training(self, X, y, sample_weight, *, epochs: int | None):
        """Train the fitted net on with the fitted encodings (``warm_start``,
        ``partial_fit``): changed training parameters take effect; changed network
        parameters are refused before any data is encoded."""
        X, weights = self._checked_training_input(X, y, sample_weight)
        changed = self._check_parameter_changes()
        sequences = self._training_steps(X)
        dataset = make_dataset(sequences, self._encode_targets(y, sequences), weights)
        self._apply_parameter_changes(changed, len(dataset))
        self._train(dataset, epochs or self._resolve_max_epochs(dataset))
        return self

    def _checked_training_input(self, X, y, sample_weight):
        """``X`` read by position, and the sample weights checked against it; a required
        ``y`` that is None is refused."""
        if y is None and self.__sklearn_tags__().target_tags.required:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        X = positional(X)
        return X, check_sample_weight(sample_weight, len(X))

    def _resolve_early_stopping(self, n_samples: int) -> bool:
        if self.early_stopping == "auto":
            return n_samples >= AUTO_EARLY_STOPPING_SAMPLES
        return bool(self.early_stopping)

    def _resolve_max_epochs(self, dataset) -> int:
        if self.max_epochs != "auto":
            return int(self.max_epochs)
        batches = self._batches_per_epoch(dataset)
        return int(np.clip(np.ceil(self._auto_updates / batches), *self._auto_epochs))

    def _batches_per_epoch(self, dataset) -> int:
        n_train = len(dataset) * (1 - self.validation_fraction if self.early_stopping_ else 1)
        return max(1, int(np.ceil(n_train / self.batch_size)))

    def _after_training(self, X, y, sample_weight) -> None:
        pass

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
        set_dropout(module, fitted_value(self, "dropout"), self.token_dropout)
        seed = old.shuffle_seed
        if "random_state" in changed:
            seed = draw_seed(self.random_state)
        self.net_ = self._build_net(module, self._training_device(), seed).initialize()
        if type(self.net_.optimizer_) is type(old.optimizer_):
            # Keep the optimizer's running state; the new lr and settings replace the old.
            self.net_.optimizer_.load_state_dict(old.optimizer_.state_dict())
            for group in self.net_.optimizer_.param_groups:
                group.update(lr=self.lr, **(self.optimizer_params or {}))
        self.net_.history = old.history
        self.history_ = self.net_.history

    def _train(self, dataset, epochs: int):
        net = self.net_
        # Dropout draws from torch's global RNG: fork it, seeded per run, so fits are
        # reproducible and the caller's random state is left untouched.
        net.max_epochs = epochs  # the length of this run, which the lr schedule reads
        try:
            with seeded(net.compute_device, net.shuffle_seed + len(net.history)):
                net.partial_fit(dataset, epochs=epochs)
        except FloatingPointError:  # a NaN loss: the last good epoch is kept, if it is good
            self.history_ = net.history
            self._check_outputs_are_finite(dataset)
            raise
        self.history_ = net.history
        self._check_outputs_are_finite(dataset)
        return self

    def _check_outputs_are_finite(self, dataset) -> None:
        """Refuse weights that give NaN or infinite outputs on a training batch (a diverged
        fit, whose best epoch may be lost): the model is left unfitted, not predicting."""
        if isinstance(dataset, StreamedDataset):  # a batch of its first block, read alone
            dataset = dataset.load(dataset.blocks()[0])
        batch = next(iter(BucketBatchIterator(dataset, self.batch_size).batches()))
        inputs, targets = dataset[batch]
        inputs = {k: v for k, v in inputs.items() if k != "weight"}
        outputs = [o for _, o in self._run([(batch, inputs, targets)], module_outputs)][0]
        if all(torch.isfinite(t).all() for t in _tensors(outputs) if t.is_floating_point()):
            return
        lr = self.net_.lr
        self._forget_net()
        raise ValueError(
            "Training diverged: the trained network gives NaN or infinite outputs on the "
            f"training sequences, so it cannot predict. Fit again with a lower lr (now {lr}), "
            "or with gradient clipping (clip_grad_norm)."
        )

    def _forget_net(self) -> None:
        for name in ("net_", "history_"):
            vars(self).pop(name, None)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True  # (n_samples, n_steps, n_features)
        tags.input_tags.string = True  # texts, read with the tokenizer
        tags.input_tags.allow_nan = parameter_value(self, "missing") != "error"  # gaps
        return tags

    @property
    def device_(self) -> str:
        """The device the fitted model lives on (CPU after loading a GPU model without GPU)."""
        return str(self.net_.compute_device)


class DeclaredClassesMixin:
    """``partial_fit`` with ``classes``, as scikit-learn's incremental classifiers have it
    (the classifier and the tagger)."""

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch, continuing from the current weights if fitted.

        Parameters
        ----------
        X, y : as for :meth:`fit`
        classes : array-like of shape (n_classes,), default=None
            All the labels that will ever be seen. Needed on the first call when a batch
            of ``y`` may not contain every label, as in scikit-learn; later calls may
            repeat it.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence in the loss, as for :meth:`fit`.

        Returns
        -------
        self : object
        """
        if not hasattr(self, "net_"):
            check_declared_classes(self.class_weight, classes)
        elif classes is not None and not _same_labels(classes, self.classes_):
            # As scikit-learn's incremental classifiers: the labels are fixed at the first call.
            raise ValueError(
                f"classes={list(classes)!r} is not the same as on the first call to "
                f"partial_fit, which fixed classes_={self.classes_.tolist()!r}; fit afresh "
                "to change them."
            )
        return self._partial_fit(X, y, sample_weight, classes)


def _tensors(outputs):
    """The tensors of a module's outputs (a tensor, or tuples of them, or None)."""
    if isinstance(outputs, torch.Tensor):
        yield outputs
    elif isinstance(outputs, tuple | list):
        for output in outputs:
            yield from _tensors(output)


def _same_labels(classes, fitted: np.ndarray) -> bool:
    try:
        return np.array_equal(np.unique(np.asarray(classes)), fitted)
    except TypeError:  # labels of another type than the fitted ones
        return False


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
