"""RNNBase: the parameters, validation and fit/predict plumbing every estimator shares.

An sk_rnn estimator is a plain scikit-learn estimator. ``fit`` validates and encodes the
input once, builds the torch module from fitted sizes, and hands training to a skorch
``NeuralNet`` (``net_``): skorch runs the one training loop, its callbacks, history,
gradient clipping and early stopping. Subclasses add only their target encoding, head,
loss and decoding of outputs.
"""

from __future__ import annotations

import copy
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping, GradientNormClipping, ProgressBar

from ._data import (
    BucketBatchIterator,
    SequenceDataset,
    Sequences,
    check_sequences,
    frame_sequences,
    length_order,
)
from ._modules import CELLS, RecurrentEncoder

SHARED_PARAMETERS_DOC = """\
cell : {"lstm", "gru", "rnn", "rnn_relu"}, default="lstm"
        Recurrent cell: LSTM, GRU, or an Elman RNN with tanh ("rnn") or ReLU
        ("rnn_relu") activation.
    hidden_size : int, default=64
        Hidden units per layer and direction.
    num_layers : int, default=1
        Number of stacked recurrent layers.
    bidirectional : bool, default=False
        Read each sequence in both directions. Padding never leaks into the backward
        direction: it reads each sequence reversed within its own length.
    dropout : float, default=0.0
        Dropout probability between stacked layers and before the output head.
    frame_size : int, default=1
        Stack each run of ``frame_size`` consecutive steps into one input step (patching).
        A 1,000-step signal becomes 125 steps of 8-step frames with ``frame_size=8``:
        faster, and easier for the network to remember. The last partial frame is
        zero-padded. Use it for long, densely sampled signals.
    max_epochs : int, default=50
        Number of passes over the training data (fewer with early stopping).
    batch_size : int, default=32
        Sequences per batch, for training and prediction. Batches group sequences of
        similar length and are padded only to their own longest sequence.
    lr : float, default=1e-3
        Learning rate.
    optimizer : torch optimizer class, default=torch.optim.Adam
        The optimizer class, called as ``optimizer(params, lr=lr, **optimizer_params)``.
    optimizer_params : dict or None, default=None
        Extra keyword arguments for the optimizer, e.g. ``{"weight_decay": 1e-4}``.
    clip_grad_norm : float or None, default=5.0
        Clip the gradient norm to this value (skorch's ``GradientNormClipping``); the
        classic guard against exploding gradients in RNNs. ``None`` disables clipping.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data and stop when the
        validation loss has not improved for ``n_iter_no_change`` epochs, keeping the
        best weights (skorch's ``EarlyStopping``). By default all data is used to train.
    validation_fraction : float, default=0.1
        Fraction held out when ``early_stopping=True`` (stratified for classifiers).
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks (copied at each fit, so the ones passed stay unchanged).
    device : str, default="cpu"
        "cpu", "cuda", "cuda:N", "mps", or "auto" (CUDA if available, then MPS, else CPU).
        Predictions always come back as numpy arrays, and a model trained on a GPU
        loads and predicts on a CPU-only machine.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout and batch shuffling. With a fixed value,
        two fits on CPU give bit-identical predictions. sk_rnn never changes torch's
        global random state.
    verbose : int, default=0
        0 is silent; 1 prints a table of losses per epoch with a progress bar."""


def fill_shared_doc(cls):
    """Insert the shared parameter documentation into a class docstring."""
    cls.__doc__ = cls.__doc__.replace("%(shared_parameters)s", SHARED_PARAMETERS_DOC)
    return cls


class _SequenceNet(NeuralNet):
    """skorch's NeuralNet with length-bucketed batches and inference-mode evaluation."""

    def __init__(self, *args, shuffle_seed=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.shuffle_seed = shuffle_seed

    def get_iterator(self, dataset, training=False):
        generator = None
        if training:
            # Offset by the epochs already run, so continued training reshuffles.
            generator = torch.Generator().manual_seed(self.shuffle_seed + len(self.history))
        return BucketBatchIterator(dataset, self.batch_size, shuffle=training, generator=generator)

    def evaluation_step(self, batch, training=False):
        if training:
            return super().evaluation_step(batch, training=True)
        self.check_is_fitted()
        self._set_training(False)
        with torch.inference_mode():
            return self.infer(batch[0])


class RNNBase(BaseEstimator):
    """Base class of the sk_rnn estimators. Not for direct use."""

    _parameter_constraints: dict = {
        "cell": [StrOptions(set(CELLS))],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "frame_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [callable],
        "optimizer_params": [dict, None],
        "clip_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "callbacks": [list, None],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        cell="lstm",
        hidden_size=64,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        frame_size=1,
        max_epochs=50,
        batch_size=32,
        lr=1e-3,
        optimizer=torch.optim.Adam,
        optimizer_params=None,
        clip_grad_norm=5.0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        callbacks=None,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.frame_size = frame_size
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.optimizer_params = optimizer_params
        self.clip_grad_norm = clip_grad_norm
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # -- input -------------------------------------------------------------------------

    def _validate_sequences(self, X, *, reset: bool) -> Sequences:
        """Validate ``X``; in fit (``reset=True``) record ``n_features_in_``."""
        if reset:
            sequences = check_sequences(X)
            self.n_features_in_ = sequences.n_features
        else:
            check_is_fitted(self)
            sequences = check_sequences(X, n_features=self.n_features_in_)
        return frame_sequences(sequences, self.frame_size)

    # -- hooks for subclasses ----------------------------------------------------------

    def _encode_targets(self, y) -> np.ndarray:
        """Validate ``y``, set the target's fitted attributes, return what the loss sees."""
        raise NotImplementedError

    def _build_module(self, encoder: RecurrentEncoder) -> torch.nn.Module:
        raise NotImplementedError

    def _criterion(self, targets: np.ndarray) -> tuple[type, dict]:
        """The loss class and its keyword arguments, given the encoded targets."""
        raise NotImplementedError

    def _stratify(self, targets):
        """Labels to stratify the early-stopping split by, or None."""
        return None

    # -- training ----------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the model.

        Parameters
        ----------
        X : list of arrays of shape (n_steps_i, n_features), 3-D array or 2-D array
            Training sequences: ragged (a list), equal-length (3-D array), or one
            univariate sequence per row (2-D array or DataFrame).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets, one per sequence.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        sequences = self._validate_sequences(X, reset=True)
        targets = self._encode_targets(y)
        if len(targets) != len(sequences):
            raise ValueError(
                f"X and y have different numbers of samples: {len(sequences)} sequences "
                f"in X, {len(targets)} targets in y."
            )
        return self._fit_sequences(sequences, targets)

    def _resolve_device(self) -> str:
        device = str(self.device)
        if device == "auto":
            if torch.cuda.is_available():
                return "cuda"
            if torch.backends.mps.is_available():
                return "mps"
            return "cpu"
        try:
            kind = torch.device(device).type
        except RuntimeError:
            raise ValueError(
                f"device={self.device!r} is not a valid device; use 'cpu', 'cuda', "
                "'cuda:N', 'mps' or 'auto'."
            ) from None
        if kind == "cuda" and not torch.cuda.is_available():
            raise ValueError(
                f"device={self.device!r} but CUDA is not available on this machine; use "
                "device='cpu', or device='auto' to take a GPU only when there is one."
            )
        if kind == "mps" and not torch.backends.mps.is_available():
            raise ValueError(f"device={self.device!r} but MPS is not available on this machine.")
        if kind not in ("cpu", "cuda", "mps"):
            raise ValueError(f"device={self.device!r} is not supported; use cpu, cuda or mps.")
        return device

    def _fit_sequences(self, sequences: Sequences, targets: np.ndarray):
        """Build the module and skorch net, then train on encoded data."""
        device = torch.device(self._resolve_device())
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        dataset = SequenceDataset(sequences, targets)
        fork_devices = [device.index or 0] if device.type == "cuda" else []
        # Seed weight initialisation and dropout without touching the caller's global RNG.
        with torch.random.fork_rng(devices=fork_devices):
            torch.manual_seed(seed)
            encoder = RecurrentEncoder(
                sequences.n_features,
                self.cell,
                self.hidden_size,
                self.num_layers,
                self.bidirectional,
                self.dropout,
            )
            self.net_ = self._build_net(self._build_module(encoder), device, seed, targets)
            self.net_.fit(dataset, y=None)
        self.history_ = self.net_.history
        return self

    @property
    def device_(self) -> str:
        """The device the fitted model lives on (CPU after loading a GPU model without GPU)."""
        return str(self.net_.device)

    def _build_net(self, module, device, seed, targets) -> _SequenceNet:
        criterion, criterion_params = self._criterion(targets)
        callbacks = [copy.deepcopy(cb) for cb in self.callbacks or []]
        if self.clip_grad_norm is not None:
            callbacks.append(("clip_grad_norm", GradientNormClipping(self.clip_grad_norm)))
        train_split = None
        if self.early_stopping:
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(patience=self.n_iter_no_change, load_best=True, sink=self._log),
                )
            )
            train_split = self._holdout_split(seed, targets)
        if self.verbose:
            callbacks.append(("progress_bar", ProgressBar()))
        return _SequenceNet(
            module,
            criterion=criterion,
            optimizer=self.optimizer,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            train_split=train_split,
            callbacks=callbacks,
            device=device,
            verbose=self.verbose,
            shuffle_seed=seed,
            **{f"criterion__{k}": v for k, v in criterion_params.items()},
            **{f"optimizer__{k}": v for k, v in (self.optimizer_params or {}).items()},
        )

    def _log(self, message):
        if self.verbose:
            print(message)

    def _holdout_split(self, seed, targets):
        stratify = self._stratify(targets)
        fraction = self.validation_fraction

        def split(dataset):
            positions = np.arange(len(dataset))
            try:
                train, valid = train_test_split(
                    positions, test_size=fraction, random_state=seed, stratify=stratify
                )
            except ValueError:  # too few samples of some class to stratify
                train, valid = train_test_split(positions, test_size=fraction, random_state=seed)
            return dataset.subset(train), dataset.subset(valid)

        return split

    # -- prediction --------------------------------------------------------------------

    def _forward(self, X) -> np.ndarray:
        """Raw module outputs for ``X``, in the order of ``X``, as a numpy array."""
        sequences = self._validate_sequences(X, reset=False)
        dataset = SequenceDataset(sequences)
        batches = [out.float().numpy() for out in self.net_.forward_iter(dataset)]
        outputs = np.empty((len(sequences), *batches[0].shape[1:]), dtype=np.float32)
        outputs[length_order(sequences.lengths)] = np.concatenate(batches)
        return outputs
