"""RNNLanguageModel: score how likely texts are, and generate new ones."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from ._base import RNNBase
from ._constraints import Count
from ._datasets import StepTargets, make_dataset
from ._device import draw_seed
from ._modules import NextTokenPredictor, target_log_probabilities
from ._parameters import AUTO_EPOCHS, AUTO_UPDATES, document_parameters, store_parameters
from ._search import decode
from ._sequences import Sequences, offsets_of, sequence_steps
from ._streams import StreamNet
from ._text import tokenize
from ._tokens import EOS_ID, NEVER_GENERATED, UNK_ID
from ._validation import positional

__all__ = ["RNNLanguageModel"]


@document_parameters
class RNNLanguageModel(RNNBase):
    """Recurrent language model over words or characters.

    Learns the probability of the next token given the ones before it. ``score_samples``
    gives the log-probability of whole texts, ``perplexity`` the classic evaluation,
    ``sample`` generates new text.

    Training uses the efficient stream form: the texts, each followed by ``<eos>``, are
    joined and cut into ``batch_size`` parallel streams, which are read ``bptt`` tokens at
    a time with the hidden state carried (and detached) from one chunk to the next
    (truncated back-propagation through time). The order of the texts is shuffled at
    every epoch. Every text is scored as if it followed an ``<eos>``, as in training.

    The defaults are the character recipe of :doc:`/benchmarks` (fortunes): an LSTM-384
    on ``batch_size=32`` streams of ``bptt=100`` tokens, Adam at lr 0.005 with a cosine
    decay, weight drop 0.2 on the recurrent weights, dropout 0.2 before the output
    layer, early stopping from 1,000 texts on (keeping the epoch of lowest held-out
    perplexity), and ``max_epochs="auto"``: about 3,000 optimizer steps (an epoch has
    ``tokens / (batch_size * bptt)`` batches). A fit's cost is about 3,000 steps of 32 x
    100 tokens whatever the corpus size (at least one epoch): 3.5 minutes for an
    LSTM-384 on this project's 2-core CPU.

    Parameters
    ----------
    bptt : int, default=100
        Tokens per training chunk: gradients flow back at most this far.
    tie_weights : bool, default=False
        Share the input embedding and the output layer's weights (Press & Wolf 2017):
        fewer parameters and often lower perplexity. Needs ``embedding_dim`` equal to
        ``hidden_size``.
    weight_drop : float, default=0.2
        In training, the probability of dropping each hidden-to-hidden weight of the
        recurrent layers, one mask per chunk of ``bptt`` tokens (the weight-dropped LSTM
        of Merity et al. 2018). Chosen on fortunes, inside the training texts: 0.2
        gained 0.03 bits/char over none for the LSTM-384 (three seeds), 0.3 lost
        (:doc:`/defaults_history`).
    %(shared_parameters)s

    See Also
    --------
    RNNSeq2Seq : An output sequence generated from an input sequence.

    Notes
    -----
    Word-level models map rare and unseen words to ``<unk>``, and ``<unk>`` is then
    scored as one token. A model with a smaller vocabulary (higher ``min_frequency``) has
    more ``<unk>`` and so a lower perplexity on the same text: compare perplexities only
    between models with the same vocabulary, or compare bits per character.
    There is no ``bidirectional`` or ``frame_size``: a language model reads one token at a
    time, left to right, and must not see the tokens it predicts.

    Attributes
    ----------
    vectorizer_ : SequenceVectorizer
        The tokenizer and vocabulary (``vocabulary_``).
    %(shared_attributes)s
    auto_settings_ : dict
        Empty: none of this estimator's settings means something else for numeric input
        and for text (the entry keeps every estimator's files alike).
    net_ : skorch.NeuralNet
        The trained skorch net holding the torch module.
    history_ : skorch.History
        Per-epoch losses: mean negative log-likelihood per token (``exp`` of the
        validation loss is the validation perplexity).

    Examples
    --------
    >>> from sk_rnn import RNNLanguageModel
    >>> texts = ["abab", "ababab", "ab"] * 30
    >>> lm = RNNLanguageModel(tokenizer="char", hidden_size=16, max_epochs=30, lr=0.02,
    ...                       bptt=10, batch_size=4, random_state=0).fit(texts)
    >>> lm.score_samples(["abab", "bbaa"]).round(1)  # log-probabilities
    array([ -1., -31.])
    >>> lm.sample(2, max_length=10, temperature=0, random_state=0)
    ['abab', 'abab']
    """

    _parameter_constraints: dict = {
        **RNNBase._parameter_constraints,
        "bptt": [Count(1)],
        "tie_weights": ["boolean"],
        "weight_drop": [Interval(Real, 0, 1, closed="left")],
    }
    _net_class = StreamNet
    # A step budget, not an epoch count: a large corpus costs the same steps, in fewer
    # epochs (how the budget was measured: the changelog).
    _auto_updates = 3 * AUTO_UPDATES
    _auto_epochs = (1, AUTO_EPOCHS[1])

    def __init__(
        self,
        *,
        bptt=100,
        tie_weights=False,
        weight_drop=0.2,
        cell="lstm",
        hidden_size=384,
        num_layers=1,
        dropout=0.2,
        tokenizer="word",
        lowercase=True,
        min_frequency=1,
        max_vocabulary=None,
        embedding_dim=None,
        embeddings=None,
        freeze_embeddings=False,
        token_dropout=0.0,
        max_epochs="auto",
        batch_size=32,
        lr=5e-3,
        lr_schedule="cosine",
        optimizer=torch.optim.Adam,
        optimizer_params=None,
        clip_grad_norm=5.0,
        early_stopping="auto",
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
        store_parameters(self, locals())

    # A language model must not read the tokens it predicts, nor merge them into frames:
    # it has no bidirectional or frame_size (ABSENT_PARAMETER_VALUES says how it reads).
    _training_parameters = RNNBase._training_parameters | {"bptt"}
    # weight_drop lives in the built module, as the encoder's own setting.
    _network_parameters = frozenset({"tie_weights", "weight_drop"})

    @property
    def _outputs_per_step(self) -> bool:
        return True

    def fit(self, X, y=None, sample_weight=None):
        """Fit the language model on texts.

        Parameters
        ----------
        X : list of str or list of token lists
            The training texts.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each text: its tokens and its ``<eos>`` count ``sample_weight[i]``
            times in the loss. Routed by scikit-learn's metadata routing
            (``set_fit_request``).

        Returns
        -------
        self : RNNLanguageModel
        """
        return super().fit(X, y, sample_weight=sample_weight)

    def _check_params(self, text):
        super()._check_params(text)
        if not text:
            raise TypeError("RNNLanguageModel needs text: a list of strings or of token lists.")
        if self.tie_weights and self._embedding_size() != self.hidden_size:
            raise ValueError(
                f"tie_weights=True needs embedding_dim ({self._embedding_size()}) equal to "
                f"hidden_size ({self.hidden_size})."
            )

    def _encode_targets(self, y, sequences):
        return None  # the targets are the texts' own next tokens

    def _batches_per_epoch(self, dataset) -> int:
        """``batch_size`` streams of ``bptt`` tokens (each text and its ``<eos>``)."""
        tokens = int(dataset.lengths.sum()) + len(dataset)
        tokens *= 1 - self.validation_fraction if self.early_stopping_ else 1
        return max(1, int(tokens // (self.batch_size * self.bptt)))

    def _build_task_module(self, encoder):
        encoder.weight_drop = self.weight_drop
        return NextTokenPredictor(encoder, self.dropout, self.tie_weights)

    def _net_params(self) -> dict:
        return {"bptt": self.bptt}

    # -- scoring -----------------------------------------------------------------------

    def _token_log_probabilities(self, X):
        """Log-probability of every token of every text (its ``<eos>`` included): yields
        (samples, log-probabilities of shape (batch, steps), lengths) per batch."""

        def step(module, inputs, targets):
            logits, _ = module(inputs["x"], inputs["lengths"])
            return target_log_probabilities(logits, targets), inputs["lengths"]

        batches = self._inference_batches(X, dataset=_next_token_dataset)
        for samples, (picked, lengths) in self._run(batches, step):
            yield samples, picked.numpy(), lengths.numpy()

    def score_samples(self, X) -> np.ndarray:
        """Natural-log probability of each whole text, including its ``<eos>``.

        Parameters
        ----------
        X : list of str or list of token lists

        Returns
        -------
        log_probability : ndarray of shape (n_samples,)
        """
        scores = np.empty(len(positional(X)))
        for positions, picked, _ in self._token_log_probabilities(X):
            scores[positions] = picked.sum(axis=1)
        return scores

    def _total_log_likelihood(self, X) -> tuple[float, int]:
        total, n_tokens = 0.0, 0
        for _, picked, lengths in self._token_log_probabilities(X):
            total += float(picked.sum())
            n_tokens += int(lengths.sum())
        return total, n_tokens

    def score(self, X, y=None) -> float:
        """Mean log-likelihood per token (``<eos>`` included); higher is better."""
        total, n_tokens = self._total_log_likelihood(X)
        return total / n_tokens

    def perplexity(self, X) -> float:
        """``exp`` of the mean negative log-likelihood per token (``<eos>`` included)."""
        return float(np.exp(-self.score(X)))

    # -- generation --------------------------------------------------------------------

    def sample(
        self,
        n_samples=1,
        *,
        prompt="",
        max_length=100,
        temperature=1.0,
        top_k=None,
        top_p=None,
        random_state=None,
    ) -> list:
        """Generate texts, each continuing ``prompt`` until ``<eos>`` or ``max_length`` tokens.

        Parameters
        ----------
        n_samples : int, default=1
        prompt : str or list of str, default=""
            Text (or tokens) to continue; it is read after an ``<eos>``, as every
            training text was, and included in the output.
        max_length : int, default=100
            Most tokens generated after the prompt.
        temperature : float, default=1.0
            Divides the logits: below 1 more conservative, above 1 more varied; 0 is
            greedy decoding (always the most likely token).
        top_k : int or None, default=None
            Sample only among the ``top_k`` most likely tokens.
        top_p : float in (0, 1] or None, default=None
            Nucleus sampling: only among the most likely tokens whose probabilities sum
            to ``top_p``.
        random_state : int, RandomState instance or None, default=None
            Same value, same texts.

        Returns
        -------
        texts : list of str
            Tokens joined with "" for ``tokenizer="char"``, else with spaces. ``<unk>``,
            ``<pad>`` and ``<bos>`` are never generated.
        """
        check_is_fitted(self)
        if not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        if not isinstance(max_length, Integral) or max_length < 1:
            raise ValueError(f"max_length must be a positive integer, got {max_length!r}.")
        if not isinstance(temperature, Real) or not 0 <= temperature < float("inf"):
            raise ValueError(f"temperature must be a finite number >= 0, got {temperature!r}.")
        if top_k is not None and (not isinstance(top_k, Integral) or top_k < 1):
            raise ValueError(f"top_k must be a positive integer or None, got {top_k!r}.")
        if top_p is not None and not (isinstance(top_p, Real) and 0 < top_p <= 1):
            raise ValueError(f"top_p must be in (0, 1] or None, got {top_p!r}.")
        prompt_tokens = self._prompt_tokens(prompt)
        vocabulary = self.vectorizer_.get_feature_names_out()
        ids = [self.vectorizer_.vocabulary_.get(t, UNK_ID) for t in prompt_tokens]
        seed = draw_seed(random_state)
        generator = torch.Generator(device="cpu").manual_seed(seed)
        generated = self._generate(ids, n_samples, max_length, temperature, top_k, top_p, generator)
        separator = "" if self.vectorizer_.tokenizer == "char" else " "
        texts = []
        for row in generated:
            tokens = list(prompt_tokens) + [str(vocabulary[i]) for i in row]
            texts.append(separator.join(tokens))
        return texts

    def _prompt_tokens(self, prompt) -> list[str]:
        if prompt in ("", [], ()):
            return []
        tokens = tokenize(
            [prompt], self.vectorizer_.tokenizer, self.vectorizer_.lowercase, "prompt"
        )[0]
        known = [t for t in tokens if t in self.vectorizer_.vocabulary_]
        if tokens and not known:
            raise ValueError(
                f"Every token of the prompt is unknown to the model ({tokens[:5]}); the "
                "model cannot continue it. Use words from the training texts."
            )
        return tokens

    def _generate(self, ids, n_samples, max_length, temperature, top_k, top_p, generator):
        """Token ids after the prompt ``ids`` for ``n_samples`` texts, generated
        ``batch_size`` texts at a time."""

        def step(module, inputs, targets):
            memory, state = module.start()
            logits, state = module.step(inputs["tokens"], state, memory)
            return decode(
                module,
                logits,
                state,
                memory,
                choose=lambda scores: _choose(scores, temperature, top_k, top_p, generator),
                max_length=max_length,
                eos=EOS_ID,
                banned=NEVER_GENERATED,
                after_end=EOS_ID,  # each text is cut at its first <eos>
                dtype=torch.float64,
            )

        prompts = torch.tensor([[EOS_ID, *ids]] * n_samples)
        batches = (
            (np.arange(start, start + len(chunk)), {"tokens": chunk}, None)
            for start in range(0, n_samples, self.batch_size)
            for chunk in [prompts[start : start + self.batch_size]]
        )
        generated = []
        for _, tokens in self._run(batches, step):
            generated.extend(tokens.numpy())
        return [
            row[: np.argmax(row == EOS_ID)] if (row == EOS_ID).any() else row for row in generated
        ]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        tags.input_tags.two_d_array = False  # text only
        tags.input_tags.three_d_array = False
        return tags


def _next_token_dataset(texts: Sequences, y=None):
    """Each text read after an ``<eos>``, with its tokens and then ``<eos>`` to predict."""
    lengths = texts.lengths + 1
    offsets = offsets_of(lengths)
    inputs = np.full(lengths.sum(), EOS_ID, dtype=np.int64)
    targets = np.full(lengths.sum(), EOS_ID, dtype=np.int64)
    sample, step = sequence_steps(texts.lengths)
    inputs[offsets[sample] + step + 1] = texts.values
    targets[offsets[sample] + step] = texts.values
    return make_dataset(Sequences(inputs, lengths, offsets), StepTargets(targets))


def _choose(scores, temperature, top_k, top_p, generator):
    """Next token ids from logits ``scores`` (n, vocabulary), on the CPU generator."""
    scores = scores.cpu()
    if temperature == 0:
        return scores.argmax(1)
    scores = scores / temperature
    if top_k is not None:
        kth = scores.topk(min(top_k, scores.size(1)), dim=1).values[:, -1:]
        scores = scores.masked_fill(scores < kth, float("-inf"))
    probabilities = torch.softmax(scores, 1)
    if top_p is not None:
        sorted_p, order = probabilities.sort(1, descending=True)
        # Keep the smallest set of most likely tokens whose mass reaches top_p.
        outside = sorted_p.cumsum(1) - sorted_p >= top_p
        sorted_p = sorted_p.masked_fill(outside, 0.0)
        probabilities = torch.zeros_like(probabilities).scatter(1, order, sorted_p)
    return torch.multinomial(probabilities, 1, generator=generator).squeeze(1)
