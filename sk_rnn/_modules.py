"""Pure torch building blocks: the recurrent encoder, the task modules and their losses.

Nothing here imports scikit-learn; the estimators build these modules from fitted sizes.

Padding is exact without packing: batches are right-padded, a unidirectional layer's output
at step ``t`` only depends on steps ``<= t``, and the backward direction of a bidirectional
layer runs on each sequence reversed *within its own length*, so padding never enters it.
On CPU this is several times faster than ``pack_padded_sequence`` (see docs/benchmarks.md).

Protocols
---------
The estimators and the training loop meet the modules only through these protocols:

:class:`TaskModule` (every module an estimator trains)
    ``forward(x, lengths, **inputs) -> outputs`` for a batch as the datasets of
    ``sk_rnn._data`` produce it (a language model also returns its recurrent state, see
    :class:`NextTokenPredictor`), and ``loss(outputs, targets, lengths) -> (losses,
    counts)``: per-sample (shape ``(batch,)``) or per-step (``(batch, steps)``) loss sums
    and the number of units they sum over. The training loss is ``sum(w * losses) /
    sum(w * counts)`` with sample weights ``w`` (``sk_rnn._net.WeightedLoss``), so every
    estimator's loss is defined in exactly one place: its module's ``loss``.
:class:`Decoder` (modules that generate tokens one step at a time)
    ``start(x, lengths) -> (memory, state)`` reads the source (``memory`` a tuple of
    batch-first tensors, ``state`` a recurrent state with the batch in dimension 1), and
    ``step(tokens, state, memory) -> (logits, state)`` feeds tokens of shape ``(batch,
    steps)``. The searches of ``sk_rnn._search`` and the language model's sampling use it.
"""

from __future__ import annotations

from typing import Protocol

import torch
from torch import nn

from ._tokens import IGNORE_INDEX, PAD_ID, UNK_ID

__all__ = [
    "CELLS",
    "POOLINGS",
    "AttentionPooling",
    "CharacterEncoder",
    "ConvolutionBranch",
    "Decoder",
    "EncoderDecoder",
    "LinearChainCRF",
    "NextTokenPredictor",
    "RecurrentEncoder",
    "SequencePredictor",
    "SequenceTagger",
    "StepRegressor",
    "TaskModule",
    "reverse_padded",
]

CELLS = ("rnn", "rnn_relu", "lstm", "gru")
POOLINGS = ("last", "mean", "max", "mean_max", "attention")


class TaskModule(Protocol):
    """What the training loop and the estimators require of a module (see module docs)."""

    encoder: RecurrentEncoder

    def forward(self, x: torch.Tensor, lengths: torch.Tensor, **inputs) -> torch.Tensor: ...

    def loss(
        self, outputs: torch.Tensor, targets: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]: ...


class Decoder(Protocol):
    """What token generation requires of a module (see module docs)."""

    def start(self, x: torch.Tensor | None, lengths: torch.Tensor | None) -> tuple: ...

    def step(self, tokens: torch.Tensor, state, memory) -> tuple[torch.Tensor, object]: ...


def _make_rnn(cell, input_size, hidden_size, num_layers=1, dropout=0.0) -> nn.RNNBase:
    # Sizes may arrive as numpy integers (a searched grid); torch wants ints.
    input_size, hidden_size, num_layers = int(input_size), int(hidden_size), int(num_layers)
    kwargs = dict(num_layers=num_layers, dropout=float(dropout) if num_layers > 1 else 0.0)
    if cell == "lstm":
        return nn.LSTM(input_size, hidden_size, batch_first=True, **kwargs)
    if cell == "gru":
        return nn.GRU(input_size, hidden_size, batch_first=True, **kwargs)
    if cell in ("rnn", "rnn_relu"):
        nonlinearity = "relu" if cell == "rnn_relu" else "tanh"
        return nn.RNN(
            input_size, hidden_size, nonlinearity=nonlinearity, batch_first=True, **kwargs
        )
    raise ValueError(f"cell must be one of {CELLS}, got {cell!r}.")


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each sequence of a right-padded batch within its own length.

    Step ``t < lengths[b]`` of the result is step ``lengths[b] - 1 - t`` of ``x[b]``;
    padding steps stay where they are. The operation is its own inverse.

    Parameters
    ----------
    x : Tensor of shape (batch, max_length, features)
    lengths : Tensor of shape (batch,)
    """
    steps = torch.arange(x.size(1), device=x.device)
    source = lengths.to(x.device)[:, None] - 1 - steps[None, :]
    source = torch.where(source >= 0, source, steps[None, :])
    return x.gather(1, source[:, :, None].expand(-1, -1, x.size(2)))


class RecurrentEncoder(nn.Module):
    """Stacked (bi)directional RNN/LSTM/GRU over right-padded batches.

    Parameters
    ----------
    input_size : int
        Features per input step.
    cell : {"rnn", "rnn_relu", "lstm", "gru"}
    hidden_size : int
        Hidden units per direction.
    num_layers : int
    bidirectional : bool
    dropout : float
        Dropout between stacked layers.
    vocabulary_size : int or None
        For token input: ids in ``[0, vocabulary_size)`` are embedded into vectors of
        ``input_size`` (id 0 is padding); ``None`` for numeric input.
    character_encoder : CharacterEncoder or None
        For token input with character features: ``x[..., 0]`` holds the token ids and
        ``x[..., 1:]`` each token's character ids; the character encoder's vector of each
        token joins its embedding.
    token_dropout : float
        For token input, in training: the probability of replacing a token id by the
        ``<unk>`` id (1), so that the ``<unk>`` embedding is trained on real contexts.

    Inputs: ``x, lengths, hidden``
        - **x** of shape ``(batch, max_length, input_size)``, right-padded, or token ids
          of shape ``(batch, max_length)`` (``(batch, max_length, 1 + max_chars)`` with a
          character encoder);
        - **lengths** of shape ``(batch,)``, on any device;
        - **hidden** (unidirectional only): initial state as for ``torch.nn.LSTM``/``GRU``,
          or ``None`` for zeros.

    Outputs: ``outputs, last, hidden``
        - **outputs** of shape ``(batch, max_length, num_directions * hidden_size)``;
          steps past a sequence's length hold unspecified values;
        - **last** of shape ``(batch, num_directions * hidden_size)``: the forward
          direction's output at each sequence's true last step, joined (if bidirectional)
          with the backward direction's output after it has read the whole sequence;
        - **hidden**: the final state of a unidirectional stack at the *padded* end of
          the batch (meant for streams of equal-length chunks), else ``None``.
    """

    def __init__(
        self,
        input_size,
        cell,
        hidden_size,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        vocabulary_size=None,
        character_encoder=None,
        token_dropout=0.0,
    ):
        super().__init__()
        input_size, hidden_size, num_layers = int(input_size), int(hidden_size), int(num_layers)
        self.token_dropout = token_dropout
        self.embedding = None
        if vocabulary_size is not None:
            self.embedding = nn.Embedding(int(vocabulary_size), input_size, padding_idx=PAD_ID)
        self.character_encoder = character_encoder
        if character_encoder is not None:
            input_size += character_encoder.output_size
        self.input_vector_size = input_size  # the size of embed()'s vectors
        self.bidirectional = bidirectional
        self.hidden_size = hidden_size
        if bidirectional:
            # One module per layer and direction: the backward one reads reversed input.
            self.forward_layers = nn.ModuleList()
            self.backward_layers = nn.ModuleList()
            for layer in range(num_layers):
                size = input_size if layer == 0 else 2 * hidden_size
                self.forward_layers.append(_make_rnn(cell, size, hidden_size))
                self.backward_layers.append(_make_rnn(cell, size, hidden_size))
            self.layer_dropout = nn.Dropout(dropout)
        else:
            self.rnn = _make_rnn(cell, input_size, hidden_size, num_layers, dropout)

    def _drop_tokens(self, ids):
        if not self.training:
            return ids
        return hide_ids(ids, self.token_dropout)

    @property
    def output_size(self) -> int:
        return self.hidden_size * (2 if self.bidirectional else 1)

    def embed(self, x):
        """The input vectors the recurrent layers read: ``x`` itself for numeric input,
        token embeddings (and character features) for token ids."""
        if self.character_encoder is not None:
            words = self._drop_tokens(x[..., 0])
            return torch.cat([self.embedding(words), self.character_encoder(x[..., 1:])], 2)
        if self.embedding is not None:
            return self.embedding(self._drop_tokens(x))
        return x

    def forward(self, x, lengths, hidden=None):
        return self.recur(self.embed(x), lengths, hidden)

    def recur(self, x, lengths, hidden=None):
        """The recurrent layers over input vectors ``x`` (see :meth:`embed`)."""
        lengths = lengths.to(x.device)
        last_index = (lengths - 1)[:, None, None]
        if not self.bidirectional:
            outputs, hidden = self.rnn(x, hidden)
            last = outputs.gather(1, last_index.expand(-1, 1, outputs.size(2))).squeeze(1)
            return outputs, last, hidden
        if hidden is not None:
            raise ValueError(
                "An initial hidden state is only supported for unidirectional encoders."
            )
        layer_input = x
        pairs = zip(self.forward_layers, self.backward_layers, strict=True)
        for i, (forward_rnn, backward_rnn) in enumerate(pairs):
            if i > 0:
                layer_input = self.layer_dropout(layer_input)
            forward_out, _ = forward_rnn(layer_input)
            backward_out_reversed, _ = backward_rnn(reverse_padded(layer_input, lengths))
            backward_out = reverse_padded(backward_out_reversed, lengths)
            layer_input = torch.cat([forward_out, backward_out], dim=2)
        size = self.hidden_size
        forward_last = forward_out.gather(1, last_index.expand(-1, 1, size)).squeeze(1)
        backward_last = backward_out[:, 0]
        return layer_input, torch.cat([forward_last, backward_last], dim=1), None


def length_mask(lengths: torch.Tensor, n_steps: int) -> torch.Tensor:
    """Mask of shape (batch, n_steps), True at the steps inside each sequence."""
    return torch.arange(n_steps, device=lengths.device)[None, :] < lengths[:, None]


def pool_outputs(outputs, last, lengths, pooling):
    """Many-to-one readout of encoder outputs, ignoring padding (``"attention"`` has
    weights of its own: see :class:`AttentionPooling`)."""
    if pooling == "last":
        return last
    lengths = lengths.to(outputs.device)
    inside = length_mask(lengths, outputs.size(1))[:, :, None]
    if pooling == "mean":
        return (outputs * inside).sum(1) / lengths[:, None].to(outputs.dtype)
    if pooling == "max":
        return outputs.masked_fill(~inside, float("-inf")).amax(1)
    if pooling == "mean_max":
        return torch.cat([pool_outputs(outputs, last, lengths, p) for p in ("mean", "max")], 1)
    raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}.")


class AttentionPooling(nn.Module):
    """A learned weighted mean over each sequence's true steps (Yang et al. 2016,
    "Hierarchical attention networks"): step ``t`` scores ``v . tanh(W h_t + b)``, and a
    softmax over the true steps turns the scores into weights; padding gets none.

    Inputs: ``outputs`` of shape ``(batch, n_steps, size)``, ``lengths`` of shape ``(batch,)``.
    Output: shape ``(batch, size)``.
    """

    def __init__(self, size: int):
        super().__init__()
        self.project = nn.Linear(size, size)
        self.score = nn.Linear(size, 1, bias=False)

    def step_weights(self, outputs, lengths):
        """Each step's weight, shape ``(batch, n_steps)``: 0 on padding, 1 in all."""
        inside = length_mask(lengths.to(outputs.device), outputs.size(1))
        scores = self.score(torch.tanh(self.project(outputs))).squeeze(2)
        return scores.masked_fill(~inside, float("-inf")).softmax(1)

    def forward(self, outputs, lengths):
        return (self.step_weights(outputs, lengths)[:, :, None] * outputs).sum(1)


# -- losses: per-sample or per-step sums, and the units they count (see TaskModule) --------


def class_cross_entropy(logits, labels, class_weight=None):
    """Cross-entropy of one label per sample, shape (batch,) each: losses, counts.

    With ``class_weight``, a sample of class ``c`` counts ``class_weight[c]`` times (in
    its loss and in the normaliser), as ``torch.nn.CrossEntropyLoss(weight=...)`` does.
    """
    losses = nn.functional.cross_entropy(logits, labels.to(logits.device), reduction="none")
    if class_weight is None:
        return losses, torch.ones_like(losses)
    weight = class_weight[labels.to(logits.device)]
    return losses * weight, weight


def squared_error(predictions, targets):
    """Squared error summed over the outputs of each sample, and the number of outputs."""
    errors = (predictions - targets.to(predictions.device)) ** 2
    errors = errors.reshape(len(errors), -1)
    return errors.sum(1), torch.full_like(errors[:, 0], errors.size(1))


def step_cross_entropy(logits, labels, class_weight=None):
    """Cross-entropy at every step whose label is not ``IGNORE_INDEX``, shape (batch,
    steps) each: losses (0 at ignored steps), counts (0 or the class weight)."""
    labels = labels.to(logits.device)
    losses = nn.functional.cross_entropy(logits.transpose(1, 2), labels, reduction="none")
    counted = (labels != IGNORE_INDEX).to(losses.dtype)
    if class_weight is not None:
        counted = counted * class_weight[labels.clamp(min=0)]
    return losses * counted, counted


def target_log_probabilities(logits, targets):
    """Log-probability (float64) of each per-step target under ``logits`` of shape
    (batch, steps, classes); 0 where the target is ``IGNORE_INDEX``."""
    targets = targets.to(logits.device)
    log_probabilities = torch.log_softmax(logits.double(), -1)
    picked = log_probabilities.gather(2, targets.clamp(min=0)[:, :, None]).squeeze(2)
    return picked.masked_fill(targets == IGNORE_INDEX, 0.0)


class ConvolutionBranch(nn.Module):
    """The fully convolutional branch of LSTM-FCN (Karim et al. 2018, "LSTM Fully
    Convolutional Networks for Time Series Classification"), for padded batches.

    Three blocks of a convolution (kernel 7, 5 and 3, where the paper has 8, 5 and 3: odd
    widths keep every step centred; ``channels``, ``2 * channels`` and
    ``channels`` filters), batch normalisation and ReLU, then the mean over each
    sequence's own steps. Padding is zeroed before every convolution and left out of the
    mean, so a sequence's features do not depend on the batch it is in (up to the batch
    statistics of normalisation during training).

    Inputs: ``x`` of shape ``(batch, max_length, input_size)`` and ``lengths``.
    Output: shape ``(batch, channels)``.
    """

    def __init__(self, input_size, channels):
        super().__init__()
        input_size, channels = int(input_size), int(channels)
        sizes = (input_size, channels, 2 * channels, channels)
        self.convolutions = nn.ModuleList(
            nn.Conv1d(n_in, n_out, width, padding=width // 2)
            for n_in, n_out, width in zip(sizes, sizes[1:], (7, 5, 3), strict=False)
        )
        self.norms = nn.ModuleList(nn.BatchNorm1d(n) for n in sizes[1:])
        self.output_size = channels

    def forward(self, x, lengths):
        lengths = lengths.to(x.device)
        inside = length_mask(lengths, x.size(1))[:, None, :].to(x.dtype)
        h = x.transpose(1, 2)
        for convolution, norm in zip(self.convolutions, self.norms, strict=True):
            h = torch.relu(norm(convolution(h * inside)))
        return (h * inside).sum(2) / lengths[:, None].to(h.dtype)


class SequencePredictor(nn.Module):
    """Encoder, many-to-one pooling, dropout and a linear head.

    Parameters
    ----------
    encoder : RecurrentEncoder
    n_outputs : int
        Classes (logits) or regression targets.
    pooling : {"last", "mean", "max", "mean_max", "attention"}
        ``"mean_max"`` joins the mean and the maximum, twice the encoder's output size;
        ``"attention"`` learns a weighted mean (:class:`AttentionPooling`).
    dropout : float
    task : {"classification", "regression"}
        Chooses the loss: cross-entropy (weighted by ``class_weight``) or squared error.
    class_weight : Tensor of shape (n_outputs,) or None
        Weight of each class in the classification loss.
    conv_channels : int or None
        Add a :class:`ConvolutionBranch` with this many channels beside the encoder; it
        reads the encoder's input vectors, and its features join the pooled ones.

    Inputs: ``x, lengths`` as for :class:`RecurrentEncoder`.
    Output: a tensor of shape ``(batch, n_outputs)`` (logits or standardised targets).
    """

    def __init__(
        self,
        encoder: RecurrentEncoder,
        n_outputs: int,
        pooling="last",
        dropout=0.0,
        task="classification",
        class_weight=None,
        conv_channels=None,
    ):
        super().__init__()
        if task not in ("classification", "regression"):
            raise ValueError(f"task must be 'classification' or 'regression', got {task!r}.")
        self.encoder = encoder
        self.pooling = pooling
        self.task = task
        self.dropout = nn.Dropout(dropout)
        self.convolution = None
        self.attention = AttentionPooling(encoder.output_size) if pooling == "attention" else None
        size = encoder.output_size * (2 if pooling == "mean_max" else 1)
        if conv_channels is not None:
            self.convolution = ConvolutionBranch(encoder.input_vector_size, conv_channels)
            size += self.convolution.output_size
        self.head = nn.Linear(size, n_outputs)
        # Not part of the state dict: it comes from the estimator's fitted class_weight_.
        self.register_buffer("class_weight", class_weight, persistent=False)

    def features(self, x, lengths):
        """The representation the head reads: the pooled encoder outputs, joined by the
        convolution branch's features if there is one."""
        vectors = self.encoder.embed(x)
        outputs, last, _ = self.encoder.recur(vectors, lengths)
        if self.attention is None:
            pooled = pool_outputs(outputs, last, lengths, self.pooling)
        else:
            pooled = self.attention(outputs, lengths)
        if self.convolution is None:
            return pooled
        return torch.cat([pooled, self.convolution(vectors, lengths)], 1)

    def forward(self, x, lengths):
        return self.head(self.dropout(self.features(x, lengths)))

    def loss(self, outputs, targets, lengths):
        if self.task == "classification":
            return class_cross_entropy(outputs, targets, self.class_weight)
        return squared_error(outputs, targets)


class StepRegressor(nn.Module):
    """Encoder, dropout and a linear layer giving real outputs at every step.

    Inputs: ``x, lengths`` as for :class:`RecurrentEncoder`.
    Output: shape ``(batch, max_length, n_outputs)`` (standardised targets).
    The loss is the squared error over the true steps of each sequence; padding steps
    count for nothing.
    """

    def __init__(self, encoder: RecurrentEncoder, n_outputs: int, dropout=0.0):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.output_size, n_outputs)

    def forward(self, x, lengths):
        outputs, _, _ = self.encoder(x, lengths)
        return self.head(self.dropout(outputs))

    def loss(self, outputs, targets, lengths):
        inside = length_mask(lengths.to(outputs.device), outputs.size(1)).to(outputs.dtype)
        errors = ((outputs - targets.to(outputs.device)) ** 2).sum(2)
        return errors * inside, inside * outputs.size(2)


class AffixEncoder(nn.Module):
    """A vector per token from its affix ids (prefix, suffixes, shape): one embedding
    table per affix, concatenated, and the character encoder's vector after them if any.

    Inputs: shape ``(..., n_affixes [+ max_chars])``: each token's affix ids (``PAD_ID``
    pads, 1 is the unknown affix), then its character ids for ``characters``.
    In training each known affix id is hidden (made unknown) with probability
    ``token_dropout``, as the encoder hides words, so that the tagger learns to read a
    token from its word or its affixes alone.
    """

    def __init__(self, sizes, embedding_dim, token_dropout=0.0, characters=None):
        super().__init__()
        self.tables = nn.ModuleList(
            nn.Embedding(int(n), embedding_dim, padding_idx=PAD_ID) for n in sizes
        )
        self.token_dropout = float(token_dropout)
        self.characters = characters
        self.output_size = embedding_dim * len(sizes)
        if characters is not None:
            self.output_size += characters.output_size

    def forward(self, ids):
        affixes = ids[..., : len(self.tables)]
        if self.training:
            affixes = hide_ids(affixes, self.token_dropout)
        vectors = [table(affixes[..., k]) for k, table in enumerate(self.tables)]
        if self.characters is not None:
            vectors.append(self.characters(ids[..., len(self.tables) :]))
        return torch.cat(vectors, -1)


class CharacterEncoder(nn.Module):
    """A vector per token from its characters: embedding, convolution, max over positions.

    The character CNN of Ma & Hovy (2016, "End-to-end sequence labeling via
    bi-directional LSTM-CNNs-CRF"): it lets a tagger recognise unseen and rare words by
    their spelling (suffixes, capitals, digits, script).

    Inputs: character ids of shape ``(..., max_chars)``, ``PAD_ID`` for padding.
    Output: shape ``(..., n_filters)``; all zeros for an all-padding input.
    """

    def __init__(self, n_characters, embedding_dim=25, n_filters=50, width=3):
        super().__init__()
        n_characters, n_filters = int(n_characters), int(n_filters)
        self.embedding = nn.Embedding(n_characters, embedding_dim, padding_idx=PAD_ID)
        self.convolution = nn.Conv1d(embedding_dim, n_filters, width, padding=width // 2)
        self.output_size = n_filters

    def forward(self, chars):
        shape = chars.shape
        chars = chars.reshape(-1, shape[-1])
        features = self.convolution(self.embedding(chars).transpose(1, 2))
        padding = (chars == PAD_ID)[:, None, : features.size(2)]
        features = features.masked_fill(padding, float("-inf")).amax(2)
        # Padding tokens (no characters at all) get zeros rather than -inf.
        features = features.masked_fill(torch.isinf(features), 0.0)
        return features.reshape(*shape[:-1], -1)


class LinearChainCRF(nn.Module):
    """Linear-chain conditional random field over per-step label scores.

    Scores a label sequence ``y`` of a sequence of length ``n`` as
    ``start[y_0] + sum_t emissions[t, y_t] + sum_t transitions[y_{t-1}, y_t] + end[y_{n-1}]``.
    All methods take right-padded ``emissions`` of shape ``(batch, max_length, n_labels)``
    and a boolean ``mask`` of shape ``(batch, max_length)`` that is true inside each
    sequence (every sequence has at least one step). The loops run over time only, each
    step one batched tensor operation with no host synchronisation.
    """

    def __init__(self, n_labels):
        super().__init__()
        self.transitions = nn.Parameter(torch.zeros(n_labels, n_labels))
        self.start = nn.Parameter(torch.zeros(n_labels))
        self.end = nn.Parameter(torch.zeros(n_labels))

    def log_partition(self, emissions, mask):
        """Log of the sum of the exponentiated scores of all label sequences, shape (batch,)."""
        alpha = self.start + emissions[:, 0]
        for t in range(1, emissions.size(1)):
            scores = alpha[:, :, None] + self.transitions + emissions[:, t, None, :]
            alpha = torch.where(mask[:, t, None], torch.logsumexp(scores, 1), alpha)
        return torch.logsumexp(alpha + self.end, 1)

    def path_score(self, emissions, labels, mask):
        """Score of the given label sequences, shape (batch,); padding labels are ignored."""
        labels = labels.masked_fill(~mask, 0)
        steps = emissions.gather(2, labels[:, :, None]).squeeze(2)
        moves = self.transitions[labels[:, :-1], labels[:, 1:]]
        last = labels.gather(1, (mask.sum(1) - 1)[:, None]).squeeze(1)
        return (
            self.start[labels[:, 0]]
            + (steps * mask).sum(1)
            + (moves * mask[:, 1:]).sum(1)
            + self.end[last]
        )

    def negative_log_likelihood(self, emissions, labels, mask):
        """``-log p(labels | emissions)`` of each sequence, shape (batch,)."""
        return self.log_partition(emissions, mask) - self.path_score(emissions, labels, mask)

    def viterbi(self, emissions, mask):
        """The highest-scoring label sequence, shape (batch, max_length).

        Positions past a sequence's length repeat its last label.
        """
        batch, length, n_labels = emissions.shape
        score = self.start + emissions[:, 0]
        keep = torch.arange(n_labels, device=emissions.device).expand(batch, n_labels)
        backpointers = []
        for t in range(1, length):
            best, previous = (score[:, :, None] + self.transitions).max(1)
            inside = mask[:, t, None]
            score = torch.where(inside, best + emissions[:, t], score)
            # Past the end, point each label at itself so backtracking passes through.
            backpointers.append(torch.where(inside, previous, keep))
        labels = [(score + self.end).argmax(1)]
        for previous in reversed(backpointers):
            labels.append(previous.gather(1, labels[-1][:, None]).squeeze(1))
        return torch.stack(labels[::-1], 1)

    def marginals(self, emissions, mask):
        """``p(y_t = label | emissions)``, shape (batch, max_length, n_labels).

        The gradient of the log partition function with respect to the emissions is
        exactly the per-step marginals (forward-backward by automatic differentiation).
        """
        with torch.inference_mode(False), torch.enable_grad():
            # Clones made here are ordinary tensors, which autograd may save.
            emissions = emissions.detach().clone().requires_grad_(True)
            mask = mask.clone()
            (gradient,) = torch.autograd.grad(self.log_partition(emissions, mask).sum(), emissions)
        return gradient


class SequenceTagger(nn.Module):
    """Encoder, dropout and a linear layer giving per-step label scores, plus an optional CRF.

    Inputs: ``x, lengths`` as for :class:`RecurrentEncoder`.
    Output: per-step label scores (emissions) of shape ``(batch, max_length, n_labels)``.

    The loss is the cross-entropy of every labelled step (weighted by ``class_weight``)
    or, with a CRF, the negative log-likelihood of each label sequence, counted as many
    units as the sequence has steps (so both are on the same per-token scale).
    """

    def __init__(
        self, encoder: RecurrentEncoder, n_labels: int, dropout=0.0, crf=False, class_weight=None
    ):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.output_size, n_labels)
        self.crf = LinearChainCRF(n_labels) if crf else None
        self.register_buffer("class_weight", class_weight, persistent=False)

    def forward(self, x, lengths):
        outputs, _, _ = self.encoder(x, lengths)
        return self.head(self.dropout(outputs))

    def loss(self, outputs, targets, lengths):
        if self.crf is None:
            return step_cross_entropy(outputs, targets, self.class_weight)
        targets = targets.to(outputs.device)
        mask = targets != IGNORE_INDEX
        counts = mask.sum(1).to(outputs.dtype)
        if self.class_weight is not None:
            # A sequence's likelihood is not a sum over steps: weight it by the mean class
            # weight of its labels.
            counts = (self.class_weight[targets.clamp(min=0)] * mask).sum(1)
            nll = self.crf.negative_log_likelihood(outputs, targets, mask)
            return nll * counts / mask.sum(1), counts
        return self.crf.negative_log_likelihood(outputs, targets, mask), counts

    def predict_labels(self, emissions, mask):
        """Best label ids per step: Viterbi with a CRF, else the argmax of each step."""
        if self.crf is None:
            return emissions.argmax(2)
        return self.crf.viterbi(emissions, mask)

    def label_probabilities(self, emissions, mask):
        """Per-step label probabilities: CRF marginals, else the softmax of each step."""
        if self.crf is None:
            return torch.softmax(emissions.double(), 2)
        return self.crf.marginals(emissions.double(), mask)


class NextTokenPredictor(nn.Module):
    """A unidirectional encoder with a linear layer over the vocabulary: a language model.

    Stateless: the recurrent state goes in and out of every call. ``forward(x, lengths,
    state=None)`` reads token ids ``x`` of shape ``(batch, steps)`` from ``state`` (None:
    zeros) and returns the next-token logits, of shape ``(batch, steps,
    vocabulary_size)``, and the state after ``x``; training on streams passes that state
    on to the next chunk (``sk_rnn._net.StreamNet``). ``start``/``step`` are the
    :class:`Decoder` protocol for generation.
    """

    def __init__(self, encoder: RecurrentEncoder, dropout=0.0, tie_weights=False):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        embedding = encoder.embedding
        self.head = nn.Linear(encoder.output_size, embedding.num_embeddings)
        if tie_weights:
            self.head.weight = embedding.weight

    def forward(self, x, lengths, state=None):
        outputs, _, state = self.encoder(x, lengths, state)
        return self.head(self.dropout(outputs)), state

    def start(self, x=None, lengths=None):
        """No source to read: no memory, and a zero state."""
        return None, None

    def step(self, tokens, state=None, memory=None):
        lengths = torch.full((tokens.size(0),), tokens.size(1), dtype=torch.long)
        return self(tokens, lengths, state)

    def loss(self, outputs, targets, lengths):
        return step_cross_entropy(outputs, targets)


def hide_ids(ids: torch.Tensor, probability: float) -> torch.Tensor:
    """``ids`` with each known id (above ``UNK_ID``) made ``UNK_ID`` with ``probability``:
    the token dropout of words and of the tagger's affixes."""
    if probability == 0:
        return ids
    hidden = torch.rand(ids.shape, device=ids.device) < probability
    return ids.masked_fill(hidden & (ids > UNK_ID), UNK_ID)


def set_dropout(module: nn.Module, dropout: float, token_dropout: float) -> None:
    """Change the dropout probabilities of a built module in place (they only act in
    training): every dropout layer, the dropout between stacked recurrent layers, and
    the token dropout of words and affixes."""
    for part in module.modules():
        if isinstance(part, nn.Dropout):
            part.p = float(dropout)
        elif isinstance(part, nn.RNNBase) and part.num_layers > 1:
            part.dropout = float(dropout)
        elif isinstance(part, RecurrentEncoder | AffixEncoder):
            part.token_dropout = float(token_dropout)


def detach_state(state):
    """A recurrent state (tensor, or LSTM pair) cut from the graph."""
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


ATTENTIONS = ("dot", "general", "additive")


class Attention(nn.Module):
    """Attention of decoder states over encoder outputs, ignoring padding.

    ``"dot"``: score = query · key (Luong et al. 2015); ``"general"``: query · W key;
    ``"additive"``: v · tanh(W_q query + W_k key) (Bahdanau et al. 2015).

    ``keys(memory)`` projects the encoder outputs once per batch; ``forward(queries,
    keys, memory, mask)`` then gives one context vector per query (the average of
    ``memory`` weighted by the softmax of the scores over unmasked steps) and the weights.
    """

    def __init__(self, kind, size):
        super().__init__()
        if kind not in ATTENTIONS:
            raise ValueError(f"attention must be one of {ATTENTIONS} or None, got {kind!r}.")
        self.kind = kind
        if kind == "general":
            self.key_projection = nn.Linear(size, size, bias=False)
        elif kind == "additive":
            self.key_projection = nn.Linear(size, size)
            self.query_projection = nn.Linear(size, size, bias=False)
            self.score = nn.Linear(size, 1, bias=False)

    def keys(self, memory):
        return memory if self.kind == "dot" else self.key_projection(memory)

    def forward(self, queries, keys, memory, mask):
        """queries (batch, steps, size), keys and memory (batch, source_steps, size),
        mask (batch, source_steps) True inside each source -> context (batch, steps, size),
        weights (batch, steps, source_steps)."""
        if self.kind == "additive":
            hidden = self.query_projection(queries)[:, :, None] + keys[:, None]
            scores = self.score(torch.tanh(hidden)).squeeze(3)
        else:
            scores = queries @ keys.transpose(1, 2)
        scores = scores.masked_fill(~mask[:, None, :], float("-inf"))
        weights = torch.softmax(scores, dim=2)
        return weights @ memory, weights


class EncoderDecoder(nn.Module):
    """Recurrent encoder-decoder with optional attention (sequence to sequence).

    The decoder is a unidirectional stack as wide as the encoder's output (both
    directions), started from ``tanh(W last)`` where ``last`` is the encoder's exact
    readout of each source (so padding never reaches it). At each step the decoder state
    attends over the encoder outputs, and ``tanh(W [state; context])`` predicts the next
    token (Luong et al. 2015). With teacher forcing the whole target is decoded in one
    call of the recurrent layer. It follows the :class:`Decoder` protocol.

    Parameters
    ----------
    encoder : RecurrentEncoder
    n_target_tokens : int
        Size of the target vocabulary (``PAD_ID`` is padding).
    embedding_dim : int
        Size of the target token embeddings.
    cell : str
        Decoder cell, as for the encoder.
    num_layers : int
        Decoder layers.
    attention : {"dot", "general", "additive"} or None
    dropout : float
        Dropout between decoder layers and before the output layer.
    teacher_forcing : float
        In training, the probability of feeding the true previous token rather than the
        model's own prediction (scheduled sampling, Bengio et al. 2015); 1.0 always feeds
        the truth.

    Inputs of ``forward``: ``x, lengths`` as for :class:`RecurrentEncoder`, and
    ``target_in`` of shape ``(batch, target_steps)``: ``<bos>`` then the target ids,
    right-padded. Output: next-token logits of shape ``(batch, target_steps, n_target_tokens)``.
    """

    def __init__(
        self,
        encoder,
        n_target_tokens,
        embedding_dim,
        cell,
        num_layers=1,
        attention="general",
        dropout=0.0,
        teacher_forcing=1.0,
    ):
        super().__init__()
        size = encoder.output_size
        n_target_tokens, embedding_dim, num_layers = (
            int(n_target_tokens),
            int(embedding_dim),
            int(num_layers),
        )
        self.encoder = encoder
        self.num_layers = num_layers
        self.is_lstm = cell == "lstm"
        self.teacher_forcing = teacher_forcing
        self.target_embedding = nn.Embedding(n_target_tokens, embedding_dim, padding_idx=PAD_ID)
        self.bridge = nn.Linear(size, num_layers * size)
        self.decoder = _make_rnn(cell, embedding_dim, size, num_layers, dropout)
        self.attention = None if attention is None else Attention(attention, size)
        self.combine = nn.Linear(size * (1 if attention is None else 2), size)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(size, n_target_tokens)

    def start(self, x, lengths):
        """The decoder's memory ``(outputs, keys, mask)`` and initial state."""
        outputs, last, _ = self.encoder(x, lengths)
        mask = length_mask(lengths.to(outputs.device), outputs.size(1))
        keys = None if self.attention is None else self.attention.keys(outputs)
        state = torch.tanh(self.bridge(last)).view(len(last), self.num_layers, -1)
        state = state.transpose(0, 1).contiguous()
        if self.is_lstm:
            state = (state, torch.zeros_like(state))
        return (outputs, keys, mask), state

    def step(self, tokens, state, memory):
        """Logits for ``tokens`` (batch, steps) fed from ``state``, and the state after."""
        states, state = self.decoder(self.target_embedding(tokens), state)
        if self.attention is not None:
            outputs, keys, mask = memory
            context, _ = self.attention(states, keys, outputs, mask)
            states = torch.cat([states, context], 2)
        return self.output(self.dropout(torch.tanh(self.combine(states)))), state

    def forward(self, x, lengths, target_in):
        memory, state = self.start(x, lengths)
        if not self.training or self.teacher_forcing >= 1:
            return self.step(target_in, state, memory)[0]
        logits = []
        tokens = target_in[:, :1]
        for position in range(target_in.size(1)):
            step_logits, state = self.step(tokens, state, memory)
            logits.append(step_logits)
            if position + 1 < target_in.size(1):
                truth = target_in[:, position + 1 : position + 2]
                own = step_logits.argmax(2)
                use_truth = torch.rand(truth.shape, device=truth.device) < self.teacher_forcing
                tokens = torch.where(use_truth | (truth == PAD_ID), truth, own)
        return torch.cat(logits, 1)

    def loss(self, outputs, targets, lengths):
        return step_cross_entropy(outputs, targets)


def repeat_state(state, times: int):
    """Repeat each batch row of a recurrent state ``times`` times (for beam search)."""
    if isinstance(state, tuple):
        return tuple(s.repeat_interleave(times, dim=1) for s in state)
    return state.repeat_interleave(times, dim=1)


def select_state(state, rows):
    """Rows ``rows`` of a recurrent state (batch is dimension 1)."""
    if isinstance(state, tuple):
        return tuple(s[:, rows] for s in state)
    return state[:, rows]
