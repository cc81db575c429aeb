"""Tagging: the tagger's module, its linear-chain CRF, and the per-token affix and
character encoders that join the word embeddings."""

from __future__ import annotations

import torch
from torch import nn

from .._tokens import IGNORE_INDEX, PAD_ID
from .encoder import RecurrentEncoder, TokenHiding
from .losses import step_cross_entropy

__all__ = ["AffixEncoder", "CharacterEncoder", "LinearChainCRF", "SequenceTagger"]


class AffixEncoder(TokenHiding):
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
        affixes = self.hide(affixes)
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
