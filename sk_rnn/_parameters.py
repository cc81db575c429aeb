"""The parameters the estimators share: their constraints and their documentation.

Each estimator keeps an explicit ``__init__`` signature (scikit-learn reads parameters and
defaults from it). The descriptions live here once; :func:`document_parameters` renders
them into a class docstring with the defaults of *that* class's signature, and skips the
shared parameters the class does not have, so the docs cannot drift from the code
(``tests/test_docs.py`` checks every class).
"""

from __future__ import annotations

import inspect
import textwrap
from numbers import Real

import numpy as np
import torch
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ._constraints import Count
from ._device import PRECISIONS
from ._gaps import IMPUTATIONS
from ._modules import CELLS, POOLINGS
from ._tokenizing import TOKENIZERS

__all__ = [
    "ABSENT_PARAMETER_VALUES",
    "AUTO_BY_INPUT",
    "AUTO_EARLY_STOPPING_SAMPLES",
    "AUTO_EMBEDDING_CONSTRAINTS",
    "AUTO_EMBEDDING_DIM",
    "AUTO_EPOCHS",
    "AUTO_FRAME_STEPS",
    "AUTO_UPDATES",
    "CLASSIFIER_AUTO_BY_INPUT",
    "DEFAULT_EMBEDDING_DIM",
    "REGRESSOR_AUTO_BY_INPUT",
    "SEQUENCE_LEVEL_CONSTRAINTS",
    "SHARED_CONSTRAINTS",
    "SHARED_DOCS",
    "auto_frame_size",
    "auto_settings",
    "document_parameters",
    "fitted_value",
    "parameter_value",
    "store_parameters",
]

DEFAULT_EMBEDDING_DIM = 64
# embedding_dim="auto" (the classifier's, regressor's and tagger's default), without
# ``embeddings``.
AUTO_EMBEDDING_DIM = 128
# frame_size="auto" frames sequences so that the median one has at most this many steps.
AUTO_FRAME_STEPS = 128


def auto_frame_size(lengths, model_steps: int = AUTO_FRAME_STEPS) -> int:
    """Frames so that the median of ``lengths`` takes at most ``model_steps`` model steps."""
    return max(1, int(np.ceil(np.median(lengths) / model_steps)))


# What the "auto" training settings resolve to (see the descriptions below).
AUTO_UPDATES = 1000
AUTO_EPOCHS = (10, 500)
AUTO_EARLY_STOPPING_SAMPLES = 1000
# "auto" for the settings whose best value differs between numeric sequences and text:
# name -> (value for numeric sequences, value for text). Accepted by the sequence-level
# estimators (RNNClassifier, RNNRegressor), whose defaults they are; chosen by
# cross-validation inside the training splits of the benchmark suite (docs/benchmarks.md).
AUTO_BY_INPUT: dict[str, tuple] = {
    "cell": ("lstm", "gru"),
    "pooling": ("mean", "max"),
    "dropout": (0.2, 0.5),
    "conv_channels": (64, None),
}
# The classifier's: attention pooling for numeric sequences won the classifier's CV round
# and not the regressor's (docs/benchmarks.md), so the two differ there.
CLASSIFIER_AUTO_BY_INPUT: dict[str, tuple] = {**AUTO_BY_INPUT, "pooling": ("attention", "max")}
# The regressor's: attention pooling for text won the CV round on the suite's text
# regression (Syllables; docs/benchmarks.md). Models fitted before it resolved "auto" by
# AUTO_BY_INPUT, and files of that time load so (_migrations.py).
REGRESSOR_AUTO_BY_INPUT: dict[str, tuple] = {**AUTO_BY_INPUT, "pooling": ("mean", "attention")}

# The shared parameters that an estimator may leave out of its signature, and how an
# estimator without one behaves: a language model is never bidirectional, nor framed; a
# tagger's steps are never framed; a model without ``standardize`` reads its inputs as
# they are. Read through parameter_value(); every other shared parameter is required.
ABSENT_PARAMETER_VALUES: dict = {
    "bidirectional": False,
    "frame_size": 1,
    "keep": "first",
    "lr_schedule": "constant",
    "max_length": None,
    "missing": "error",
    "elapsed": False,
    "standardize": False,
}


def parameter_value(estimator, name: str):
    """Shared parameter ``name`` of ``estimator``: its own value, or the behaviour
    ``ABSENT_PARAMETER_VALUES`` gives an estimator without that parameter."""
    if name in estimator._get_param_names():
        return getattr(estimator, name)
    return ABSENT_PARAMETER_VALUES[name]


def fitted_value(estimator, name: str):
    """Parameter ``name`` of a fitted ``estimator``, "auto" resolved as it was when the
    model was fitted (``auto_settings_``: ``_auto_by_input`` for the kind of input)."""
    value = getattr(estimator, name)
    return estimator.auto_settings_[name] if isinstance(value, str) and value == "auto" else value


SHARED_CONSTRAINTS: dict = {
    "cell": [StrOptions(set(CELLS))],
    "hidden_size": [Count(1)],
    "num_layers": [Count(1)],
    "bidirectional": ["boolean"],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "tokenizer": [StrOptions({"auto", *TOKENIZERS}), callable],
    "lowercase": ["boolean"],
    "min_frequency": [Count(1)],
    "max_vocabulary": [Count(1), None],
    "embedding_dim": [Count(1), None],
    "embeddings": [dict, tuple, None],
    "freeze_embeddings": ["boolean"],
    "token_dropout": [Interval(Real, 0, 1, closed="left")],
    "standardize": ["boolean", StrOptions({"auto", "per_series", "global"})],
    "frame_size": [Count(1), StrOptions({"auto"})],
    "max_length": [Count(1), None],
    "missing": [StrOptions({"auto", "error", *IMPUTATIONS})],
    "elapsed": ["boolean", StrOptions({"auto"})],
    "keep": [StrOptions({"first", "last"})],
    "max_epochs": [Count(1), StrOptions({"auto"})],
    "batch_size": [Count(1)],
    "lr": [Interval(Real, 0, None, closed="neither")],
    "optimizer": [callable],
    "optimizer_params": [dict, None],
    "lr_schedule": [StrOptions({"cosine", "constant"})],
    "clip_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
    "early_stopping": ["boolean", StrOptions({"auto"})],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Count(1)],
    "callbacks": [list, None],
    "device": [str, torch.device],
    "precision": [StrOptions(set(PRECISIONS))],
    "accelerator": [HasMethods(["prepare", "backward"]), None],
    "random_state": ["random_state"],
    "warm_start": ["boolean"],
    "verbose": ["verbose"],
}
# embedding_dim="auto", the default of the classifier, the regressor and the tagger: the
# size of ``embeddings`` if given, else AUTO_EMBEDDING_DIM.
AUTO_EMBEDDING_CONSTRAINTS: dict = {"embedding_dim": [Count(1), None, StrOptions({"auto"})]}
# The sequence-level estimators (RNNClassifier, RNNRegressor) also accept "auto" for
# these: the value their table (``_auto_by_input``: AUTO_BY_INPUT, or the classifier's
# CLASSIFIER_AUTO_BY_INPUT) gives for the kind of input they are fitted on.
SEQUENCE_LEVEL_CONSTRAINTS: dict = {
    "cell": [StrOptions(set(CELLS) | {"auto"})],
    "pooling": [StrOptions(set(POOLINGS) | {"auto"})],
    "dropout": [Interval(Real, 0, 1, closed="left"), StrOptions({"auto"})],
    "conv_channels": [Count(1), None, StrOptions({"auto"})],
    **AUTO_EMBEDDING_CONSTRAINTS,
}
AUTO_EMBEDDING_DOC = f'"auto": the dimension of ``embeddings`` if given, else {AUTO_EMBEDDING_DIM}'

# name -> (type, description). Descriptions are indented by the renderer.
SHARED_DOCS: dict[str, tuple[str, str]] = {
    "cell": (
        "{" + ", ".join(f'"{cell}"' for cell in CELLS) + "}",
        'Recurrent cell: LSTM, GRU, or an Elman RNN with tanh ("rnn") or ReLU ("rnn_relu") '
        "activation.",
    ),
    "pooling": (
        '{"last", "mean", "max", "mean_max", "attention"}',
        "How a sequence's outputs become one vector: the output at the true last step (of "
        "each direction), the mean or maximum over its steps, both joined "
        '(``"mean_max"``), or a mean weighted by learned attention (``"attention"``); '
        "padding is ignored.",
    ),
    "hidden_size": ("int", "Hidden units per layer and direction."),
    "num_layers": ("int", "Number of stacked recurrent layers."),
    "bidirectional": (
        "bool",
        "Read each sequence in both directions. Padding never leaks into the backward "
        "direction: it reads each sequence reversed within its own length.",
    ),
    "dropout": ("float", "Dropout probability between stacked layers and before the output head."),
    "tokenizer": (
        '{"auto", ' + ", ".join(f'"{name}"' for name in TOKENIZERS) + "} or callable",
        "For text input (a list of strings): how to split each string into tokens (see "
        ':class:`SequenceVectorizer`; ``"word_layout"`` keeps line breaks and tabs as '
        "tokens); a callable returns a list of string tokens, and empty strings in it are "
        'left out. "auto": characters when the median training text is a single word '
        "(names, words, codes) or when most word tokens occur once in the training texts "
        '(a word vocabulary would be mostly singletons), else ``"word_layout"``; the '
        "fitted tokenizer is ``vectorizer_.tokenizer`` (saved with the model). Lists of "
        "token lists are used as given.",
    ),
    "lowercase": ("bool", "Lowercase text and tokens before building the vocabulary."),
    "min_frequency": ("int", "Tokens seen fewer times in fit become ``<unk>``."),
    "max_vocabulary": (
        "int or None",
        "Keep at most this many distinct tokens (the most frequent).",
    ),
    "embedding_dim": (
        "int or None",
        "Size of the token embeddings for text input. None: the dimension of ``embeddings`` "
        "if given, else 64.",
    ),
    "embeddings": (
        "dict of str to array, tuple (tokens, array) or None",
        "Pretrained token vectors. Vocabulary tokens without a vector are initialised "
        "randomly, and a warning says how many.",
    ),
    "freeze_embeddings": ("bool", "Keep the embeddings fixed during training."),
    "token_dropout": (
        "float",
        "For text input, during training: replace each token by ``<unk>`` with this "
        "probability. Without it the ``<unk>`` embedding is trained only on the tokens below "
        "``min_frequency``; with it the model learns what to make "
        "of words it has never seen, from their context and, in :class:`RNNTagger`, their "
        "affixes (hidden at the same rate) and characters.",
    ),
    "conv_channels": (
        "int or None",
        "Add a fully convolutional branch beside the recurrent encoder, as in LSTM-FCN "
        "(Karim et al. 2018): three convolutions over the input steps (kernel 7, 5 and 3; "
        "``conv_channels``, twice as many, and ``conv_channels`` filters) with batch "
        "normalisation and ReLU, averaged over each sequence's steps. Its features join the "
        "pooled recurrent ones before the output layer. It reads the model's input steps "
        "(frames, or token embeddings for text). None: the recurrent encoder alone.",
    ),
    "standardize": (
        '{"auto", "per_series", "global"} or bool',
        "How numeric inputs are scaled before the network sees them. "
        '"per_series": each sequence minus its own mean, divided by its own standard '
        "deviation (one of each over all its steps and features), so a series' gain and "
        'offset do not matter. "global": each feature minus its mean, divided by its '
        "standard deviation, both taken over every step of every training sequence "
        '(``input_mean_``, ``input_scale_``); True means "global". "auto": "per_series" '
        "when the training sequences' standard deviations span more than two decades "
        "between their 10th and 90th percentiles (raw currents, counts, prices), else "
        '"global". False: none (you scaled the data yourself). The choice is saved as '
        "``input_scaling_`` and applied the same way in ``predict``, ``transform``, "
        "``partial_fit`` and after ``load``. Text input is not affected.",
    ),
    "frame_size": (
        'int or "auto"',
        "Stack each run of ``frame_size`` consecutive steps into one input step "
        "(patching). A 1,000-step signal becomes 125 steps of 8-step frames with "
        "``frame_size=8``: faster, and easier for the network to remember. The last partial "
        'frame is zero-padded. "auto" frames long numeric sequences so that the median '
        f"training sequence has at most {AUTO_FRAME_STEPS} model steps (1 for sequences up "
        f"to {AUTO_FRAME_STEPS} steps); the fitted value is ``frame_size_``.",
    ),
    "missing": (
        '{"auto", "last", "mean", "zero", "linear", "error"}',
        "How numeric input with gaps (NaN) is read. A missing value is imputed, and the "
        "network also sees, per feature, whether it was observed at each step and the "
        "steps since it last was (``log1p``), so it learns from which channels went "
        'silent and for how long. "last": the last observed value of the feature in its '
        'sequence; "mean": its mean over the sequence; "zero": its training mean (zero '
        'once standardised); "linear": the straight line between the observations on '
        "either side (the nearest one beyond the first or the last); these always add "
        'the gap channels. "auto": "last" '
        "when the training input has gaps, with the gap channels only where the gaps "
        "carry signal: where a cross-validated linear model predicts the target from "
        "where each sequence's gaps are better than the target's prior or mean does "
        "(gaps missing at random make the channels noise, which costs accuracy on small "
        "data); and no gap handling when the training input has no gaps (the model then "
        'refuses NaN). "error": NaN is '
        "refused. Infinity, and a sequence with no observed value at all, are always "
        "refused. The choice is saved as ``input_gaps_`` and ``input_gap_channels_`` and "
        "applied the same way in "
        "``predict``, ``transform``, ``partial_fit`` and after ``load``.",
    ),
    "elapsed": (
        'bool or "auto"',
        "Whether the network also reads the time elapsed since the previous step, for "
        "steps that are not equally far apart. The times come with ``X``: a "
        ":class:`~sk_rnn.TimedSequences`, or a :class:`~sk_rnn.SequenceTable` with a "
        "``time_column``; numbers in any unit, dates in seconds. The network reads "
        "``log1p`` of the elapsed time in units of the training's median step (saved as "
        '``input_time_scale_``), so the unit does not matter. "auto": when the training '
        "input carries times whose steps are not all equal, and the timing predicts the "
        "target (a cross-validated linear model on each sequence's elapsed times beats "
        "the target's prior or mean, as for ``missing``: steps kept at random make the "
        "channel noise). A model that reads them needs them in ``predict`` too.",
    ),
    "max_length": (
        "int or None",
        "Read at most this many steps of each sequence: tokens of a text, or time steps "
        "(before framing) of a numeric sequence; longer ones are cut, in fit and predict "
        "alike (``keep`` says which end stays). A character model spends most of an epoch "
        "on its few longest texts; ``max_length=500`` bounds that. None reads everything.",
    ),
    "keep": (
        '{"first", "last"}',
        "Which steps of a sequence longer than ``max_length`` are read: its first "
        "``max_length`` (the start of a document) or its last (the recent past of a series).",
    ),
    "max_epochs": (
        'int or "auto"',
        # Filled in per estimator (its _auto_updates and _auto_epochs).
        "Number of passes over the training data (fewer with early stopping). "
        '"auto" trains for about {updates:,} optimizer steps: '
        "``ceil({updates} / batches per epoch)`` epochs, at least "
        "{least} and at most {most}, so small data sets get more "
        "passes and large ones fewer.",
    ),
    "batch_size": (
        "int",
        "Sequences per batch, for training and prediction. Batches group sequences of "
        "similar length and are padded only to their own longest sequence.",
    ),
    "lr": ("float", "Learning rate (the peak rate, with ``lr_schedule='cosine'``)."),
    "lr_schedule": (
        '{"cosine", "constant"}',
        '"cosine" decays the learning rate from ``lr`` towards zero over the epochs of '
        "each ``fit`` along a half cosine (recorded in ``history_[:, 'lr']``); "
        '``partial_fit`` trains one epoch at ``lr``. "constant" keeps ``lr``.',
    ),
    "optimizer": (
        "torch optimizer class",
        "The optimizer class, called as ``optimizer(params, lr=lr, **optimizer_params)``. "
        "``torch.optim.AdamW`` is Adam with decoupled weight decay (0.01 by default).",
    ),
    "optimizer_params": (
        "dict or None",
        'Extra keyword arguments for the optimizer, e.g. ``{"weight_decay": 1e-4}``.',
    ),
    "clip_grad_norm": (
        "float or None",
        "Clip the gradient norm to this value (skorch's ``GradientNormClipping``); the "
        "classic guard against exploding gradients in RNNs. ``None`` disables clipping.",
    ),
    "early_stopping": (
        'bool or "auto"',
        "Hold out ``validation_fraction`` of the training data and stop when the validation "
        "loss has not improved for ``n_iter_no_change`` epochs; at the end the model keeps "
        "the weights of its best validation epoch (skorch's ``EarlyStopping``), so it never "
        'ends worse than its best validation point. "auto" turns it on when the training '
        f"data has at least {AUTO_EARLY_STOPPING_SAMPLES:,} sequences (as scikit-learn's "
        "``HistGradientBoosting`` does for large data); smaller data sets train on every "
        "sample. The fitted choice is ``early_stopping_``.",
    ),
    "validation_fraction": (
        "float",
        "Fraction held out when ``early_stopping=True`` (stratified for classifiers).",
    ),
    "n_iter_no_change": ("int", "Patience of early stopping, in epochs."),
    "callbacks": (
        "list of skorch callbacks or None",
        "Extra skorch callbacks (copied at each fit, so the ones passed stay unchanged).",
    ),
    "device": (
        "str or torch.device",
        '"cpu", "cuda", "cuda:N", "mps", or "auto" (CUDA if available, then MPS, else CPU). '
        "Predictions always come back as numpy arrays, and a model trained on a GPU loads "
        "and predicts on a CPU-only machine.",
    ),
    "precision": (
        '{"32", "bf16", "fp16"}',
        'Floating-point precision of the forward pass. "bf16" and "fp16" run it in mixed '
        "precision (``torch.autocast``: matrix products in 16 bits, weights, losses and sums "
        "in 32), which is faster on GPUs with tensor cores and halves the memory of "
        'activations. "fp16" needs a CUDA device and scales the loss against underflow; '
        '"bf16" works on CUDA devices that support it (Ampere and newer) and on CPUs (where '
        "the CPU has no bf16 recurrent kernels, the recurrent layers stay in float32). "
        "Outputs are returned at full precision (never 16-bit arrays).",
    ),
    "accelerator": (
        "accelerate.Accelerator or None",
        "Train through Hugging Face Accelerate (skorch's ``AccelerateMixin``): for "
        "data-parallel training on several GPUs or machines, run the script with "
        "``accelerate launch`` and pass ``Accelerator()``; each process then trains on its "
        "own share of every epoch's batches. The accelerator chooses the device (``device`` "
        "is ignored) and its ``mixed_precision`` replaces ``precision``. Not saved by "
        ":meth:`save` (it is only needed to fit).",
    ),
    "random_state": (
        "int, RandomState instance or None",
        "Seeds weight initialisation, dropout and batch shuffling. With a fixed value, two "
        "fits on CPU give bit-identical predictions. sk_rnn never changes torch's global "
        "random state.",
    ),
    "warm_start": (
        "bool",
        "When fitting again, continue from the current weights (and vocabulary, classes, "
        "scaling) instead of starting afresh. ``partial_fit`` always continues.",
    ),
    "verbose": ("int", "0 is silent; 1 prints a table of losses per epoch with a progress bar."),
}

PLACEHOLDER = "%(shared_parameters)s"
# The fitted attributes every network estimator's fit writes, rendered in place of this
# placeholder in its Attributes section.
FITTED_PLACEHOLDER = "%(shared_attributes)s"
SHARED_ATTRIBUTE_DOCS = """\
    frame_size_ : int
        Input steps per model step: ``frame_size``, "auto" resolved from the training
        lengths (1 for text, and for outputs per step).
    input_scaling_ : {"global", "per_series"} or None
        How numeric input is scaled: ``standardize``, "auto" resolved at fit (None for
        text, or without scaling).
    input_mean_ : ndarray of shape (n_features,) or None
        Per-feature training mean that "global" scaling subtracts (else None).
    input_scale_ : ndarray of shape (n_features,) or None
        Per-feature training standard deviation that "global" scaling divides by (else
        None).
    input_gaps_ : {"last", "mean", "zero", "linear"} or None
        How gaps (NaN) in numeric input are imputed, ``missing`` resolved at fit; None: the
        model has no gap channels and refuses NaN.
    input_fill_ : ndarray of shape (n_features,) or None
        With gaps, each feature's training mean over its observed values: the value of a
        feature never observed in a sequence, and the "zero" imputation.
    input_gap_channels_ : bool
        With gaps, whether the network reads each feature's observed flag and steps since
        observed beside the imputed values: always with ``missing`` set to an
        imputation; with "auto", only where a cross-validated linear model predicts the
        target from the pattern of gaps better than the target's prior or mean.
    input_time_scale_ : float or None
        With step times (``elapsed``), the training's median time between steps, in the
        times' unit (seconds for dates): the unit of the elapsed-time channel; None: the
        model reads no times.
    early_stopping_ : bool
        Whether this fit held out ``validation_fraction`` of the sequences to stop early
        (``early_stopping``, "auto" resolved from the number of sequences)."""


def document_parameters(cls):
    """Class decorator: render the shared parameters of ``cls``'s signature, with their
    real defaults, in place of ``%(shared_parameters)s`` in its docstring."""
    signature = inspect.signature(cls.__init__)
    lines = []
    for name, parameter in signature.parameters.items():
        if name in SHARED_DOCS:
            kind, description = SHARED_DOCS[name]
            if name == "max_epochs":
                least, most = cls._auto_epochs
                description = description.format(updates=cls._auto_updates, least=least, most=most)
            auto = _auto_doc(cls, name)
            if auto is not None and _accepts_auto(cls, name):
                kind = kind.replace(" or ", ", ") + ' or "auto"'
                description += (
                    f" {auto} (chosen by cross-validation across the benchmark suite; see the "
                    "benchmarks page)."
                )
            lines.append(f"    {name} : {kind}, default={_format_default(parameter.default)}")
            lines.extend(
                textwrap.wrap(description, 88, initial_indent=" " * 8, subsequent_indent=" " * 8)
            )
    placeholder = "    " + PLACEHOLDER
    if placeholder not in (cls.__doc__ or ""):
        raise ValueError(f"{cls.__name__}'s docstring has no {PLACEHOLDER} placeholder.")
    cls.__doc__ = cls.__doc__.replace(placeholder, "\n".join(lines))
    cls.__doc__ = cls.__doc__.replace("    " + FITTED_PLACEHOLDER, SHARED_ATTRIBUTE_DOCS)
    return cls


def _auto_doc(cls, name: str) -> str | None:
    """What "auto" means for parameter ``name`` of estimator ``cls``; None where its
    description says so itself (``frame_size``, ``max_epochs``, ...)."""
    if name == "embedding_dim":
        return AUTO_EMBEDDING_DOC
    if name not in cls._auto_by_input:
        return None
    for_series, for_text = cls._auto_by_input[name]
    return f'"auto": {for_series!r} for numeric sequences, {for_text!r} for text'


def _accepts_auto(cls, name: str) -> bool:
    return any(
        isinstance(c, StrOptions) and "auto" in c.options
        for c in cls._parameter_constraints.get(name, [])
    )


def _format_default(value) -> str:
    if isinstance(value, type):
        if getattr(torch.optim, value.__name__, None) is value:
            return f"torch.optim.{value.__name__}"
        return f"{value.__module__}.{value.__qualname__}"
    return repr(value)


def store_parameters(estimator, arguments: dict) -> None:
    """``__init__`` body of every estimator: store each argument unchanged, as
    scikit-learn requires (no validation or conversion in ``__init__``)."""
    for name, value in arguments.items():
        if name != "self":
            setattr(estimator, name, value)


def auto_settings(table: dict[str, tuple], text: bool) -> dict:
    """What "auto" stands for, per parameter of ``table``, in a model fitted on text
    (``text``) or on numeric sequences."""
    return {name: values[1 if text else 0] for name, values in table.items()}
