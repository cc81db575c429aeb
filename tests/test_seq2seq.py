"""RNNSeq2Seq: learning, batch invariance, decoding, persistence and errors."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold

import sk_rnn
from sk_rnn import RNNSeq2Seq
from sk_rnn._modules import Attention, EncoderDecoder, RecurrentEncoder
from sk_rnn._search import beam_search, greedy_search
from sk_rnn.metrics import edit_distance, token_error_rate, token_error_rate_scorer

from .tasks import pronounce, spelling_to_sound

FAST = dict(hidden_size=32, embedding_dim=16, lr=0.01, batch_size=32, random_state=0)


def random_words(n, rng, letters="abcdef", min_length=2, max_length=7):
    return [
        "".join(rng.choice(list(letters), k)) for k in rng.integers(min_length, max_length + 1, n)
    ]


@pytest.fixture(scope="module")
def reverser():
    words = random_words(600, np.random.default_rng(0))
    model = RNNSeq2Seq(tokenizer="char", target_tokenizer="char", max_epochs=30, **FAST)
    return model.fit(words, [w[::-1] for w in words])


def test_learns_to_reverse(reverser):
    test = random_words(200, np.random.default_rng(1))
    assert reverser.score(test, [w[::-1] for w in test]) > 0.85
    assert all(isinstance(p, str) for p in reverser.predict(test[:3]))


def test_learns_copy_with_length_change():
    # Every token doubled: the output is twice as long as the input.
    rng = np.random.default_rng(2)
    X = [list(w) for w in random_words(500, rng, max_length=5)]
    y = [[t for t in x for _ in range(2)] for x in X]
    model = RNNSeq2Seq(attention="dot", max_epochs=25, **FAST).fit(X, y)
    test = [list(w) for w in random_words(100, np.random.default_rng(3), max_length=5)]
    predicted = model.predict(test)
    assert isinstance(predicted[0], list)
    exact = np.mean(
        [p == [t for t in x for _ in range(2)] for p, x in zip(predicted, test, strict=True)]
    )
    assert exact > 0.85


def test_learns_spelling_to_sound_rules():
    words, phonemes = spelling_to_sound(1500, np.random.default_rng(4))
    model = RNNSeq2Seq(tokenizer="char", attention="additive", max_epochs=20, **FAST)
    model.fit(words, phonemes)
    test, truth = spelling_to_sound(200, np.random.default_rng(5))
    assert model.score(test, truth) > 0.85
    assert model.predict(["cephi"])[0] == pronounce("cephi")


def test_numeric_sources():
    # Source: one-hot digits in time; target: the digits as tokens, reversed.
    rng = np.random.default_rng(6)
    digits = [rng.integers(0, 4, n) for n in rng.integers(2, 6, 500)]
    X = [np.eye(4, dtype=np.float32)[d] for d in digits]
    y = [[str(v) for v in d[::-1]] for d in digits]
    model = RNNSeq2Seq(max_epochs=30, **FAST).fit(X, y)
    assert model.n_features_in_ == 4
    assert model.score(X[:100], y[:100]) > 0.85


def test_teacher_forcing_below_one_learns():
    words = random_words(400, np.random.default_rng(7), max_length=5)
    model = RNNSeq2Seq(
        tokenizer="char", target_tokenizer="char", teacher_forcing=0.5, max_epochs=25, **FAST
    ).fit(words, [w[::-1] for w in words])
    assert model.score(words[:100], [w[::-1] for w in words[:100]]) > 0.8


# Padding independence of the module's scores, every attention: tests/test_modules.py;
# here the estimator's batching and its greedy search.
@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("attention", ["general", None])
def test_scores_and_decoding_ignore_batch_mates(cell, attention):
    rng = np.random.default_rng(8)
    words = random_words(60, rng)
    model = RNNSeq2Seq(
        tokenizer="char",
        target_tokenizer="char",
        cell=cell,
        attention=attention,
        max_epochs=2,
        **FAST,
    ).fit(words, [w[::-1] for w in words])
    short, long = ["ab", "f"], ["abcdefabcdefabcdef" * 3, "fedcba" * 10]
    targets = ["ba", "f"]
    alone = model.score_samples(short, targets)
    batched = model.score_samples(short + long, targets + ["a", "b"])[:2]
    np.testing.assert_allclose(batched, alone, rtol=1e-5)
    assert model.predict(short + long)[:2] == model.predict(short)


@pytest.mark.parametrize("kind", ["dot", "general", "additive"])
def test_attention_gives_padding_no_weight(kind):
    torch.manual_seed(0)
    attention = Attention(kind, 8)
    memory = torch.randn(2, 5, 8)
    mask = torch.tensor([[True] * 3 + [False] * 2, [True] * 5])
    queries = torch.randn(2, 4, 8)
    context, weights = attention(queries, attention.keys(memory), memory, mask)
    assert torch.all(weights[0, :, 3:] == 0)
    noisy = memory.clone()
    noisy[0, 3:] = 1e4
    noisy_context, _ = attention(queries, attention.keys(noisy), noisy, mask)
    torch.testing.assert_close(noisy_context, context)


def untrained_model(attention="general", bidirectional=True, seed=0):
    torch.manual_seed(seed)
    encoder = RecurrentEncoder(8, "gru", 16, bidirectional=bidirectional, vocabulary_size=12)
    return EncoderDecoder(encoder, 9, 8, "gru", attention=attention).eval()


@pytest.mark.parametrize("attention", ["general", None])
def test_beam_of_one_is_greedy(attention):
    model = untrained_model(attention)
    x = torch.randint(4, 12, (40, 9))
    lengths = torch.randint(1, 10, (40,))
    settings = dict(max_length=12, bos=2, eos=3, banned=(0, 1, 2))
    with torch.inference_mode():
        greedy = greedy_search(model, x, lengths, **settings)
        beam = beam_search(model, x, lengths, beam_size=1, **settings)
    torch.testing.assert_close(beam, greedy)


class MarkovDecoder(torch.nn.Module):
    """A scripted 'model': the next-token distribution depends only on the last token.

    From <bos> (2): token 4 with 0.6, token 5 with 0.4. After 4: 6, 7 or 8 with 1/3 each.
    After 5: 6 with 0.95. After 6, 7 or 8: <eos> (3) almost surely. Greedy takes 4 and then
    a 1/3 token (probability 0.2); the best sequence is 5 6 (probability 0.38).
    """

    def __init__(self):
        super().__init__()
        table = torch.full((9, 9), 1e-6)
        table[2, 4], table[2, 5] = 0.6, 0.4
        table[4, 6:9] = 1 / 3
        table[5, 6] = 0.95
        table[6:9, 3] = 1.0
        table[3, 3] = 1.0
        self.log_table = torch.log(table / table.sum(1, keepdim=True))

    def start(self, x, lengths):
        return (x.float(),), torch.zeros(1, len(x), 1)

    def step(self, tokens, state, memory):
        return self.log_table[tokens], state


def sequence_log_probability(model, ids):
    table, previous, total = model.log_table, 2, 0.0
    for token in ids:
        total += float(table[previous, token])
        previous = token
        if token == 3:
            break
    return total


def test_beam_search_beats_greedy_on_a_constructed_case():
    model = MarkovDecoder()
    x, lengths = torch.zeros(1, 1), torch.ones(1, dtype=torch.long)
    settings = dict(max_length=5, bos=2, eos=3, banned=(0, 1, 2))
    greedy = greedy_search(model, x, lengths, **settings)[0].tolist()
    beam = beam_search(model, x, lengths, beam_size=3, **settings)[0].tolist()
    assert greedy[:3] == [4, 6, 3]
    assert beam[:3] == [5, 6, 3]
    assert sequence_log_probability(model, beam) > sequence_log_probability(model, greedy)


def test_beam_search_in_the_estimator(reverser):
    test = random_words(50, np.random.default_rng(9))
    greedy = reverser.predict(test)
    beam = reverser.set_params(beam_size=4).predict(test)
    reverser.set_params(beam_size=1)
    assert (
        np.mean([p == w[::-1] for p, w in zip(beam, test, strict=True)])
        >= np.mean([p == w[::-1] for p, w in zip(greedy, test, strict=True)]) - 0.02
    )

    # Beam search keeps per-token log-likelihood at least as good, on average.
    def per_token(predictions):
        scores = reverser.score_samples(test, predictions)
        return np.mean(scores / (np.array([len(p) for p in predictions]) + 1))

    assert per_token(beam) >= per_token(greedy) - 1e-6


def test_score_samples_are_log_probabilities(reverser):
    scores = reverser.score_samples(["abc", "abc"], ["cba", "abc"])
    assert scores[0] <= 0
    assert scores[0] > scores[1]


def test_max_output_length(reverser):
    reverser.set_params(max_output_length=2)
    try:
        assert all(len(p) <= 2 for p in reverser.predict(["abcdef", "fedcba"]))
    finally:
        reverser.set_params(max_output_length=None)


def test_reproducible():
    words = random_words(100, np.random.default_rng(10))
    y = [w[::-1] for w in words]

    def make():
        return RNNSeq2Seq(tokenizer="char", target_tokenizer="char", max_epochs=2, **FAST)

    first, second = make().fit(words, y), make().fit(words, y)
    np.testing.assert_array_equal(first.score_samples(words, y), second.score_samples(words, y))


def test_pickle_and_safe_round_trips(reverser, tmp_path):
    test = random_words(30, np.random.default_rng(11))
    expected = reverser.predict(test)
    reverser.save(tmp_path / "model.safetensors")
    for restored in (
        pickle.loads(pickle.dumps(reverser)),
        sk_rnn.load(tmp_path / "model.safetensors"),
    ):
        assert restored.predict(test) == expected
        np.testing.assert_array_equal(
            restored.score_samples(test, expected), reverser.score_samples(test, expected)
        )


def test_grid_search_over_attention_with_token_error_rate():
    words = random_words(200, np.random.default_rng(12), max_length=5)
    targets = [w[::-1] for w in words]
    model = RNNSeq2Seq(tokenizer="char", target_tokenizer="char", max_epochs=4, **FAST)
    search = GridSearchCV(
        model, {"attention": ["general", None]}, scoring=token_error_rate_scorer, cv=2
    ).fit(words, targets)
    assert np.all(search.cv_results_["mean_test_score"] <= 0)
    # The scorer's figure is minus the token error rate of the candidate's predictions.
    train, test = next(KFold(2).split(words))
    first = clone(model).fit([words[i] for i in train], [targets[i] for i in train])
    truth = [list(targets[i]) for i in test]
    predicted = first.predict_tokens([words[i] for i in test])
    expected = -token_error_rate(truth, predicted)
    assert search.cv_results_["split0_test_score"][0] == pytest.approx(expected)


def test_edit_distance_and_token_error_rate():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance([], ["a"]) == 1
    assert edit_distance(["AH0", "B"], ["AH0", "B"]) == 0
    assert token_error_rate([["a", "b"], ["c"]], [["a"], ["d", "e"]]) == pytest.approx(3 / 3)
    assert token_error_rate(["ab", "cd"], ["ab", "cd"]) == 0
    with pytest.raises(ValueError, match="y_pred has 1"):
        token_error_rate(["a", "b"], ["a"])


@pytest.mark.parametrize(
    "y, error, match",
    [
        (["ab", ""], ValueError, "Sample 1 of y is an empty target"),
        (["ab"], ValueError, "2 sequences in X, 1 targets"),
        ("ab", TypeError, "list of target sequences"),
        ([1, 2], TypeError, "Sample 0 of y"),
        (["ab", ["a", None]], TypeError, "Sample 1 of y"),
    ],
)
def test_bad_targets(y, error, match):
    with pytest.raises(error, match=match):
        RNNSeq2Seq(tokenizer="char", max_epochs=1).fit(["ab", "cd"], y)


def test_invalid_settings():
    with pytest.raises(ValueError, match="attention"):
        RNNSeq2Seq(attention="cosine").fit(["ab"], ["ba"])
    with pytest.raises(ValueError, match="beam_size"):
        RNNSeq2Seq(beam_size=0).fit(["ab"], ["ba"])
    with pytest.raises(ValueError, match="teacher_forcing"):
        RNNSeq2Seq(teacher_forcing=1.5).fit(["ab"], ["ba"])


def test_early_stopping_and_warm_start():
    words = random_words(120, np.random.default_rng(13))
    y = [w[::-1] for w in words]
    model = RNNSeq2Seq(
        tokenizer="char", target_tokenizer="char", early_stopping=True, max_epochs=3, **FAST
    ).fit(words, y)
    assert np.isfinite(model.history_[:, "valid_loss"]).all()
    model.set_params(warm_start=True, early_stopping=False, max_epochs=2).fit(words, y)
    assert len(model.history_) == 5
    with pytest.raises(ValueError, match="Sample 0 of y contains the token 'z'"):
        model.fit(["ab"], ["z"])  # continuing keeps the target vocabulary


def test_targets_with_tokens_unseen_in_fit_count_as_wrong():
    from sklearn.model_selection import cross_val_score

    words = ["ab", "ba", "abc", "cab"] * 5
    model = RNNSeq2Seq(tokenizer="char", target_tokenizer="char", max_epochs=2, **FAST)
    model.fit(words, [w[::-1] for w in words])
    scores = model.score_samples(["ab", "ab"], ["ba", "bz"])
    assert np.isfinite(scores[0]) and scores[1] == -np.inf
    assert model.score(["ab", "ab"], ["zz", "zz"]) == 0.0
    # A fold whose test targets have a letter the training targets lack scores, not NaN.
    X = words + ["xy"]
    scores = cross_val_score(model, X, [w[::-1] for w in X], cv=3)
    assert np.isfinite(scores).all()


def test_decoding_settings_change_after_fit_and_are_saved(reverser, tmp_path):
    words = random_words(10, np.random.default_rng(3))
    reverser.set_params(beam_size=3)
    beam = reverser.predict(words)
    reverser.save(tmp_path / "m.safetensors")
    loaded = sk_rnn.load(tmp_path / "m.safetensors")
    assert loaded.beam_size == 3
    assert loaded.predict(words) == beam
    reverser.set_params(beam_size=1)
