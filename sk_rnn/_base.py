"""RNNBase: the parameters, validation and fit/predict plumbing every estimator shares.

An sk_rnn estimator is a plain scikit-learn estimator. ``fit`` validates and encodes the
input once, builds the torch module from fitted sizes, and hands training to a skorch
``NeuralNet`` (``net_``): skorch runs the one training loop, its callbacks, history,
gradient clipping and early stopping. Subclasses add only their target encoding, head,
loss and decoding of outputs.
"""

from __future__ import annotations

import contextlib
import copy
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import EarlyStopping, GradientNormClipping, ProgressBar

from ._data import (
    BucketBatchIterator,
    SequenceDataset,
    Sequences,
    as_indexable,
    check_sequences,
    frame_sequences,
)
from ._modules import CELLS, RecurrentEncoder
from ._net import ACCELERATED_NETS, PRECISIONS, HoldoutSplit, LastGoodEpoch, SequenceNet
from ._parallel import worker_slot
from ._text import (
    TOKENIZERS,
    SequenceVectorizer,
    is_text_input,
    pretrained_dimension,
    pretrained_matrix,
    tokenize,
)

# Predict validates and encodes this many batches at a time, so that its memory grows with
# batch_size, not with the number of samples.
_PREDICT_CHUNK_BATCHES = 64

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
    tokenizer : {"word", "char", "whitespace"} or callable, default="word"
        For text input (a list of strings): how to split each string into tokens (see
        :class:`SequenceVectorizer`). Lists of token lists are used as given.
    lowercase : bool, default=True
        Lowercase text and tokens before building the vocabulary.
    min_frequency : int, default=1
        Tokens seen fewer times in fit become ``<unk>``.
    max_vocabulary : int or None, default=None
        Keep at most this many distinct tokens (the most frequent).
    embedding_dim : int or None, default=None
        Size of the token embeddings for text input: the dimension of ``embeddings`` if
        given, else 64.
    embeddings : dict of str to array, tuple (tokens, array) or None, default=None
        Pretrained token vectors. Vocabulary tokens without a vector are initialised
        randomly, and a warning says how many.
    freeze_embeddings : bool, default=False
        Keep the embeddings fixed during training.
    token_dropout : float, default=0.0
        For text input, during training: replace each token by ``<unk>`` with this
        probability. Without it the ``<unk>`` embedding is trained only on the tokens
        below ``min_frequency``; with it (0.05 to 0.2 is typical) the model learns what
        to make of words it has never seen, from their context and, in
        :class:`RNNTagger`, their characters.
    frame_size : int, default=1
        Stack each run of ``frame_size`` consecutive steps into one input step (patching).
        A 1,000-step signal becomes 125 steps of 8-step frames with ``frame_size=8``:
        faster, and easier for the network to remember. The last partial frame is
        zero-padded. Use it for long, densely sampled numeric signals.
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
    precision : {"32", "bf16", "fp16"}, default="32"
        Floating-point precision of the forward pass. "bf16" and "fp16" run it in mixed
        precision (``torch.autocast``: matrix products in 16 bits, weights, losses and
        sums in 32), which is faster on GPUs with tensor cores and halves the memory of
        activations. "fp16" needs a CUDA device and scales the loss against underflow;
        "bf16" works on CUDA devices that support it (Ampere and newer) and on CPUs.
        Outputs are returned at full precision (never 16-bit arrays).
    accelerator : accelerate.Accelerator or None, default=None
        Train through Hugging Face Accelerate (skorch's ``AccelerateMixin``): for
        data-parallel training on several GPUs or machines, run the script with
        ``accelerate launch`` and pass ``Accelerator()``; each process then trains on its
        own share of every epoch's batches. The accelerator chooses the device
        (``device`` is ignored) and its ``mixed_precision`` replaces ``precision``.
        Not saved by :meth:`save` (it is only needed to fit).
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout and batch shuffling. With a fixed value,
        two fits on CPU give bit-identical predictions. sk_rnn never changes torch's
        global random state.
    warm_start : bool, default=False
        When fitting again, continue from the current weights (and vocabulary, classes,
        scaling) instead of starting afresh. ``partial_fit`` always continues.
    verbose : int, default=0
        0 is silent; 1 prints a table of losses per epoch with a progress bar."""


def fill_shared_doc(cls):
    """Insert the shared parameter documentation into a class docstring."""
    cls.__doc__ = cls.__doc__.replace("%(shared_parameters)s", SHARED_PARAMETERS_DOC)
    return cls


class RNNBase(BaseEstimator):
    """Base class of the sk_rnn estimators. Not for direct use.

    Subclasses implement ``_encode_targets`` (validate ``y``, set the target's fitted
    attributes), ``_build_head`` (the torch module on top of the encoder) and
    ``_criterion`` (the loss), and decode the outputs of ``_forward`` in ``predict``.
    """

    _parameter_constraints: dict = {
        "cell": [StrOptions(set(CELLS))],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "tokenizer": [StrOptions(set(TOKENIZERS)), callable],
        "lowercase": ["boolean"],
        "min_frequency": [Interval(Integral, 1, None, closed="left")],
        "max_vocabulary": [Interval(Integral, 1, None, closed="left"), None],
        "embedding_dim": [Interval(Integral, 1, None, closed="left"), None],
        "embeddings": [dict, tuple, None],
        "freeze_embeddings": ["boolean"],
        "token_dropout": [Interval(Real, 0, 1, closed="left")],
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
        "precision": [StrOptions(set(PRECISIONS))],
        "accelerator": [HasMethods(["prepare", "backward"]), None],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
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
        tokenizer="word",
        lowercase=True,
        min_frequency=1,
        max_vocabulary=None,
        embedding_dim=None,
        embeddings=None,
        freeze_embeddings=False,
        token_dropout=0.0,
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
        precision="32",
        accelerator=None,
        random_state=None,
        warm_start=False,
        verbose=0,
    ):
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.tokenizer = tokenizer
        self.lowercase = lowercase
        self.min_frequency = min_frequency
        self.max_vocabulary = max_vocabulary
        self.embedding_dim = embedding_dim
        self.embeddings = embeddings
        self.freeze_embeddings = freeze_embeddings
        self.token_dropout = token_dropout
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
        self.precision = precision
        self.accelerator = accelerator
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose

    # -- hooks for subclasses ----------------------------------------------------------

    def _encode_targets(self, y, *, reset: bool, classes=None) -> np.ndarray:
        """Validate ``y`` and encode it for the loss; with ``reset``, set fitted attributes.

        ``classes`` is the label set a classifier's first ``partial_fit`` may declare.
        """
        raise NotImplementedError

    def _build_head(self, encoder: RecurrentEncoder) -> torch.nn.Module:
        """The whole torch module, built on ``encoder`` from fitted attributes only."""
        raise NotImplementedError

    def _criterion(self) -> tuple[type, dict]:
        """The loss class and its keyword arguments."""
        raise NotImplementedError

    def _make_dataset(self, sequences: Sequences, y, *, reset: bool, classes=None):
        """The training dataset of ``sequences`` and their encoded targets ``y``."""
        targets = self._encode_targets(y, reset=reset, classes=classes)
        if len(targets) != len(sequences):
            raise ValueError(
                f"X and y have different numbers of samples: {len(sequences)} sequences "
                f"in X, {len(targets)} targets in y."
            )
        return SequenceDataset(sequences, targets)

    def _encode_tokens(self, tokens: list[list[str]], *, reset: bool) -> Sequences:
        """Token lists as model input (ids from ``vectorizer_``, fitted already)."""
        return self.vectorizer_.encode_tokens(tokens)

    def _net_params(self) -> dict:
        """Extra keyword arguments of ``_net_class``."""
        return {}

    _stratify_validation = False
    _net_class = SequenceNet

    # -- input -------------------------------------------------------------------------

    def _encode_inputs(self, X, *, reset: bool, first_index: int = 0) -> Sequences:
        """Validate and encode ``X`` (numeric or text) once; a fresh fit (``reset``)
        records ``n_features_in_`` or learns the vocabulary."""
        text = is_text_input(X)
        if reset:
            self.vectorizer_ = None
            if text:
                if self.frame_size != 1:
                    raise ValueError("frame_size applies to numeric sequences, not to text.")
                self.vectorizer_ = SequenceVectorizer(
                    tokenizer=self.tokenizer,
                    lowercase=self.lowercase,
                    min_frequency=self.min_frequency,
                    max_vocabulary=self.max_vocabulary,
                )
                tokens = tokenize(X, self.tokenizer, self.lowercase)
                self.vectorizer_._fit_tokens(tokens)
                return _check_not_empty(self._encode_tokens(tokens, reset=True), first_index)
            sequences = check_sequences(X)
            self.n_features_in_ = sequences.n_features
            return frame_sequences(sequences, self.frame_size)
        check_is_fitted(self)
        if self.vectorizer_ is None:
            if text:
                raise TypeError("This model was fitted on numeric sequences, but X holds text.")
            sequences = check_sequences(X, n_features=self.n_features_in_, first_index=first_index)
            return frame_sequences(sequences, self.frame_size)
        if not text and len(X) and not isinstance(X[0], list | tuple | str):
            raise TypeError(
                "This model was fitted on text, but X holds numeric sequences; pass strings "
                "or token lists."
            )
        tokens = tokenize(X, self.vectorizer_.tokenizer, self.vectorizer_.lowercase)
        return _check_not_empty(self._encode_tokens(tokens, reset=False), first_index)

    @property
    def vocabulary_(self) -> dict:
        """Token to id, for models fitted on text."""
        if getattr(self, "vectorizer_", None) is None:
            raise AttributeError("vocabulary_ exists only for models fitted on text.")
        return self.vectorizer_.vocabulary_

    def _input_layer_sizes(self) -> tuple[int, int | None]:
        """(encoder input size, vocabulary size or None for numeric input)."""
        if self.vectorizer_ is None:
            return self.n_features_in_ * self.frame_size, None
        return self._embedding_size(), len(self.vectorizer_.vocabulary_)

    def _embedding_size(self) -> int:
        if self.embedding_dim is not None:
            return self.embedding_dim
        if self.embeddings is not None:
            return pretrained_dimension(self.embeddings)
        return 64

    # -- training ----------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the model.

        Parameters
        ----------
        X : list of arrays (n_steps_i, n_features), array, list of str or of token lists
            Training sequences: ragged (a list), equal-length (3-D array), one
            univariate sequence per row (2-D array or DataFrame), texts (tokenized with
            ``tokenizer``) or lists of string tokens.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets, one per sequence.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, epochs=self.max_epochs, reset=not self._continuing())

    def _continuing(self) -> bool:
        return self.warm_start and hasattr(self, "net_")

    def _fit(self, X, y, *, epochs: int, reset: bool, classes=None):
        if y is None and self.__sklearn_tags__().target_tags.required:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        sequences = self._encode_inputs(X, reset=reset)
        dataset = self._make_dataset(sequences, y, reset=reset, classes=classes)
        if reset:
            self._initialize_net()
        return self._train(dataset, epochs)

    def _build_module(self) -> torch.nn.Module:
        """The torch module, built from parameters and fitted attributes only."""
        input_size, vocabulary_size = self._input_layer_sizes()
        encoder = RecurrentEncoder(
            input_size,
            self.cell,
            self.hidden_size,
            self.num_layers,
            self.bidirectional,
            self.dropout,
            vocabulary_size=vocabulary_size,
            character_encoder=self._build_character_encoder(),
            token_dropout=self.token_dropout,
        )
        if encoder.embedding is not None and self.freeze_embeddings:
            encoder.embedding.weight.requires_grad_(False)
        return self._build_head(encoder)

    def _build_character_encoder(self) -> torch.nn.Module | None:
        """Per-token character features joining the embeddings; none unless a subclass adds them."""
        return None

    def _initialize_net(self) -> None:
        """Build the torch module and the skorch net from fitted attributes."""
        if self.accelerator is not None:
            if self.precision != "32":
                raise ValueError(
                    "With an accelerator, set mixed precision on it "
                    "(Accelerator(mixed_precision=...)) and leave precision='32'."
                )
            device = torch.device(self.accelerator.device)
        else:
            device = torch.device(self._resolve_device())
            self._check_precision(str(device))
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        with _seeded(device, seed):
            module = self._build_module()
            if self.embeddings is not None and self.vectorizer_ is not None:
                vectors = pretrained_matrix(
                    self.embeddings,
                    self.vectorizer_.get_feature_names_out(),
                    self._embedding_size(),
                )
                with torch.no_grad():
                    known = ~torch.isnan(vectors[:, 0])
                    module.encoder.embedding.weight[known] = vectors[known]
            self.net_ = self._build_net(module, device, seed).initialize()
        self.history_ = self.net_.history

    def _restore_net(self, module_state, history, device: str) -> None:
        """Rebuild the net around saved weights (used by :func:`sk_rnn.load`)."""
        module = self._build_module()
        module.load_state_dict(module_state)
        seed = self.random_state if isinstance(self.random_state, int) else 0
        self.net_ = self._build_net(module, torch.device(device), seed).initialize()
        self.net_.history = history
        self.history_ = history

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
        from ._persistence import save

        save(self, path)

    def _train(self, dataset: SequenceDataset, epochs: int):
        net = self.net_
        # Dropout draws from torch's global RNG: fork it, seeded per run, so fits are
        # reproducible and the caller's random state is left untouched.
        with _seeded(torch.device(net.device), net.shuffle_seed + len(net.history)):
            net.partial_fit(dataset, epochs=epochs)
        self.history_ = net.history
        return self

    def _resolve_device(self) -> str:
        device = str(self.device)
        if device == "auto":
            if torch.cuda.is_available():
                return _worker_gpu()
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
        if device == "cuda":
            return _worker_gpu()
        if kind == "mps" and not torch.backends.mps.is_available():
            raise ValueError(f"device={self.device!r} but MPS is not available on this machine.")
        if kind not in ("cpu", "cuda", "mps"):
            raise ValueError(f"device={self.device!r} is not supported; use cpu, cuda or mps.")
        return device

    def _check_precision(self, device: str) -> None:
        kind = torch.device(device).type
        if self.precision == "32":
            return
        if kind == "mps":
            raise ValueError(f"precision={self.precision!r} is not supported on MPS; use '32'.")
        if self.precision == "fp16" and kind != "cuda":
            raise ValueError(
                f"precision='fp16' needs a CUDA device (device is {device!r}); on a CPU use "
                "precision='bf16'."
            )
        if self.precision == "bf16" and kind == "cuda" and not torch.cuda.is_bf16_supported():
            raise ValueError(
                "precision='bf16' is not supported by this GPU (it needs compute capability "
                "8.0, Ampere, or newer); use precision='fp16'."
            )

    @property
    def device_(self) -> str:
        """The device the fitted model lives on (CPU after loading a GPU model without GPU)."""
        return str(self.net_.device)

    def _build_net(self, module, device, seed) -> SequenceNet:
        criterion, criterion_params = self._criterion()
        callbacks = [copy.deepcopy(cb) for cb in self.callbacks or []]
        callbacks.append(("last_good_epoch", LastGoodEpoch()))
        if self.clip_grad_norm is not None:
            callbacks.append(("clip_grad_norm", GradientNormClipping(self.clip_grad_norm)))
        train_split = None
        if self.early_stopping:
            stopper = EarlyStopping(patience=self.n_iter_no_change, load_best=True, sink=self._log)
            callbacks.append(("early_stopping", stopper))
            train_split = HoldoutSplit(self.validation_fraction, seed, self._stratify_validation)
        if self.verbose:
            callbacks.append(("progress_bar", ProgressBar()))
        net_class, accelerate = self._net_class, {}
        if self.accelerator is not None:
            net_class = ACCELERATED_NETS[net_class]
            # skorch prints with any sink but print even when verbose=0; print on the main
            # process only (accelerator.print) when asked to print.
            sink = self.accelerator.print if self.verbose else print
            accelerate = {"accelerator": self.accelerator, "callbacks__print_log__sink": sink}
        return net_class(
            module,
            criterion=criterion,
            optimizer=self.optimizer,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            train_split=train_split,
            callbacks=callbacks,
            device=device,
            # A model fitted in fp16 on a GPU predicts in float32 where it is loaded on a CPU.
            precision="32"
            if self.precision == "fp16" and device.type != "cuda"
            else self.precision,
            verbose=self.verbose,
            shuffle_seed=seed,
            **accelerate,
            **self._net_params(),
            **{f"criterion__{k}": v for k, v in criterion_params.items()},
            **{f"optimizer__{k}": v for k, v in (self.optimizer_params or {}).items()},
        )

    def _log(self, message):
        if self.verbose:
            print(message)

    # -- prediction --------------------------------------------------------------------

    def _inference_batches(self, X):
        """``X`` validated, encoded and batched for inference.

        Yields ``(samples, inputs, lengths)``: the positions in ``X`` of the batch's
        sequences, the module's inputs (a dict of CPU tensors) and their lengths (in model
        steps). ``X`` is validated and encoded a chunk at a time, so peak memory depends on
        ``batch_size``, not on the number of samples.
        """
        check_is_fitted(self)
        X = as_indexable(X)
        chunk = self.batch_size * _PREDICT_CHUNK_BATCHES
        for start in range(0, max(len(X), 1), chunk):
            sequences = self._encode_inputs(
                X[start : start + chunk], reset=False, first_index=start
            )
            iterator = BucketBatchIterator(SequenceDataset(sequences), self.batch_size)
            for batch in iterator.batches():
                inputs, _ = iterator.dataset[batch]
                yield start + batch, inputs, sequences.lengths[batch]

    def _forward_batches(self, X):
        """Raw module outputs for ``X``, one inference batch at a time: yields
        ``(samples, outputs, lengths)`` as :meth:`_inference_batches` does."""
        for samples, inputs, lengths in self._inference_batches(X):
            yield samples, self.net_.evaluation_step((inputs, None)), lengths

    def _forward(self, X) -> np.ndarray:
        """Raw module outputs for ``X``, in the order of ``X``, as a numpy array."""
        samples, outputs = [], []
        for batch, batch_outputs, _ in self._forward_batches(X):
            samples.append(batch)
            outputs.append(batch_outputs.float().cpu().numpy())
        result = np.empty((sum(map(len, samples)), *outputs[0].shape[1:]), dtype=np.float32)
        result[np.concatenate(samples)] = np.concatenate(outputs)
        return result


def _worker_gpu() -> str:
    """ "cuda" in the main process; in a parallel worker, the worker's own GPU.

    Worker ``k`` of a search (joblib processes, or a dask ``LocalCluster``) takes GPU
    ``k % n_gpus``, so ``GridSearchCV(n_jobs=n_gpus)`` puts one fit on each GPU.
    """
    slot = worker_slot()
    if slot is None:
        return "cuda"
    return f"cuda:{slot % torch.cuda.device_count()}"


@contextlib.contextmanager
def _seeded(device: torch.device, seed: int):
    """Fork torch's RNG (CPU, and the CUDA device in use) and seed the fork."""
    cuda = device.type == "cuda"
    with torch.random.fork_rng(devices=[device.index or 0] if cuda else []):
        torch.default_generator.manual_seed(seed)
        if cuda:
            with torch.cuda.device(device):
                torch.cuda.manual_seed(seed)
        yield


def _check_not_empty(sequences: Sequences, first_index: int) -> Sequences:
    empty = np.flatnonzero(sequences.lengths == 0)
    if len(empty):
        raise ValueError(
            f"Sample {first_index + empty[0]} of X has no tokens ({len(empty)} empty texts "
            "in all); every text needs at least one token."
        )
    return sequences
