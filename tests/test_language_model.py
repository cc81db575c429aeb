"""RNNLanguageModel: streams, learning, exact scoring, sampling, search, persistence, errors."""

import pickle
import re

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

import sk_rnn
from sk_rnn import RNNLanguageModel
from sk_rnn._datasets import SequenceDataset
from sk_rnn._sequences import Sequences
from sk_rnn._streams import StreamIterator
from sk_rnn._tokens import EOS_ID

# Tiny models on a toy grammar: no weight drop (it regularises the default-sized model).
FAST = dict(
    tokenizer="char",
    hidden_size=32,
    lr=0.02,
    bptt=20,
    batch_size=8,
    weight_drop=0.0,
    random_state=0,
)
VALID = re.compile(r"^x(ab)+y$")


def regular_texts(n, rng):
    """Strings of the regular language x(ab)+y, with 1 to 5 repetitions."""
    return ["x" + "ab" * int(k) + "y" for k in rng.integers(1, 6, size=n)]


@pytest.fixture(scope="module")
def fitted():
    texts = regular_texts(200, np.random.default_rng(0))
    return RNNLanguageModel(max_epochs=15, **FAST).fit(texts)


def test_no_bidirectional_or_frame_size_parameters():
    # A language model must not read the tokens it predicts: not a parameter at all.
    assert {"bidirectional", "frame_size"}.isdisjoint(RNNLanguageModel().get_params())
    with pytest.raises(TypeError, match="bidirectional"):
        RNNLanguageModel(bidirectional=True)


def test_scikit_learn_api_checks():
    # parametrize_with_checks skips text-only estimators; these checks apply to them too.
    estimator = RNNLanguageModel()
    name = type(estimator).__name__
    check_no_attributes_set_in_init(name, estimator)
    check_get_params_invariance(name, estimator)
    check_set_params(name, estimator)
    check_parameters_default_constructible(name, estimator)


def test_streams_join_texts_after_eos():
    texts = Sequences.from_list([np.array([5, 6]), np.array([7]), np.array([8, 9, 10])])
    iterator = StreamIterator(SequenceDataset(texts), 2, 3, shuffle=False, epoch_seed=None)
    inputs, targets, weights = iterator.streams()
    assert weights is None
    e = EOS_ID
    assert inputs.tolist() == [[e, 5, 6, e], [7, e, 8, 9]]
    assert targets.tolist() == [[5, 6, e, 7], [e, 8, 9, 10]]
    chunks = [batch for batch, _ in iterator]
    assert [c["x"].shape[1] for c in chunks] == [3, 1]
    assert len(iterator) == 2


def test_learns_a_regular_language(fitted):
    rng = np.random.default_rng(1)
    valid = regular_texts(50, rng)
    shuffled = ["".join(rng.permutation(list(t))) for t in valid]
    gap = fitted.score_samples(valid) - fitted.score_samples(shuffled)
    assert np.mean(gap) > 5
    samples = fitted.sample(40, max_length=20, temperature=0.7, random_state=0)
    assert all(VALID.match(s) for s in samples), samples
    assert fitted.perplexity(valid) < 1.5


def test_score_samples_is_the_sum_of_step_log_probabilities(fitted):
    texts = ["xababy", "xy", "xabababababy", "yyy"]
    expected = []
    module = fitted.net_.module_
    with torch.no_grad():
        for text in texts:
            ids = [fitted.vocabulary_[c] for c in text] + [EOS_ID]
            hidden, token, total = None, EOS_ID, 0.0
            for next_id in ids:  # one token at a time, carrying the state
                logits, hidden = module.step(torch.tensor([[token]]), hidden)
                total += torch.log_softmax(logits[0, -1].double(), 0)[next_id].item()
                token = next_id
            expected.append(total)
    np.testing.assert_allclose(fitted.score_samples(texts), expected, rtol=1e-5)
    total, n_tokens = sum(expected), sum(len(t) + 1 for t in texts)
    assert fitted.score(texts) == pytest.approx(total / n_tokens, rel=1e-6)
    assert fitted.perplexity(texts) == pytest.approx(np.exp(-total / n_tokens), rel=1e-6)


def test_sampling_is_reproducible(fitted):
    first = fitted.sample(5, max_length=15, random_state=3)
    assert fitted.sample(5, max_length=15, random_state=3) == first
    assert fitted.sample(5, max_length=15, random_state=4) != first
    greedy = fitted.sample(3, max_length=15, temperature=0, random_state=5)
    assert greedy == fitted.sample(3, max_length=15, temperature=0, random_state=6)
    assert len(set(greedy)) == 1
    nucleus = fitted.sample(5, max_length=15, top_k=2, top_p=0.9, random_state=0)
    assert all(VALID.match(s) for s in nucleus)
    continued = fitted.sample(3, prompt="xabab", max_length=15, random_state=0)
    assert all(s.startswith("xabab") and VALID.match(s) for s in continued)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_weight_drop_drops_recurrent_weights_in_training_only(bidirectional):
    from sk_rnn._modules import RecurrentEncoder

    torch.manual_seed(0)
    encoder = RecurrentEncoder(4, "lstm", 16, 2, bidirectional, weight_drop=0.5)
    x, lengths = torch.randn(3, 6, 4), torch.full((3,), 6)
    plain = RecurrentEncoder(4, "lstm", 16, 2, bidirectional)
    plain.load_state_dict(encoder.state_dict())
    encoder.eval()
    torch.testing.assert_close(encoder(x, lengths)[0], plain(x, lengths)[0])
    encoder.train()
    dropped = encoder(x, lengths)[0]
    assert not torch.allclose(dropped, plain(x, lengths)[0])
    dropped.square().sum().backward()
    for name, weight in encoder.named_parameters():
        share_without_gradient = (weight.grad == 0).float().mean().item()
        if "weight_hh" in name:  # a dropped weight takes no part, so has no gradient
            assert 0.4 < share_without_gradient < 0.6, name
        else:
            assert share_without_gradient < 0.05, name


def test_weight_drop_learns_and_is_kept_by_saved_models(tmp_path):
    texts = regular_texts(200, np.random.default_rng(0))
    lm = RNNLanguageModel(max_epochs=15, **{**FAST, "weight_drop": 0.3}).fit(texts)
    assert lm.net_.module_.encoder.weight_drop == 0.3
    samples = lm.sample(40, max_length=20, temperature=0.7, random_state=0)
    assert np.mean([bool(VALID.match(s)) for s in samples]) >= 0.9, samples
    lm.save(tmp_path / "lm.safetensors")
    for restored in (pickle.loads(pickle.dumps(lm)), sk_rnn.load(tmp_path / "lm.safetensors")):
        assert restored.net_.module_.encoder.weight_drop == 0.3
        np.testing.assert_array_equal(
            restored.score_samples(texts[:5]), lm.score_samples(texts[:5])
        )
    # It shapes the built module: continued training refuses a new value.
    with pytest.raises(ValueError, match="weight_drop"):
        lm.set_params(warm_start=True, weight_drop=0.4, max_epochs=1).fit(texts)


def test_grid_search_over_hidden_size():
    texts = regular_texts(60, np.random.default_rng(2))
    model = RNNLanguageModel(max_epochs=3, **dict(FAST, hidden_size=8))
    search = GridSearchCV(model, {"hidden_size": [4, 16]}, cv=2).fit(texts)
    # The search scores each candidate by its mean log-likelihood per held-out token.
    manual = cross_val_score(clone(model).set_params(hidden_size=4), texts, cv=2)
    np.testing.assert_allclose(
        [search.cv_results_[f"split{i}_test_score"][0] for i in range(2)], manual, rtol=1e-6
    )
    assert np.all(search.cv_results_["mean_test_score"] < 0)


def test_word_level_with_tied_weights_and_round_trips(tmp_path):
    texts = ["the cat sat", "the dog sat", "a cat ran", "a dog ran"] * 10
    lm = RNNLanguageModel(
        tokenizer="word",
        embedding_dim=16,
        hidden_size=16,
        tie_weights=True,
        max_epochs=5,
        random_state=0,
    ).fit(texts)
    module = lm.net_.module_
    assert module.head.weight is module.encoder.embedding.weight
    expected = lm.score_samples(["the cat ran", "a zebra sat"])
    lm.save(tmp_path / "lm.safetensors")
    for restored in (pickle.loads(pickle.dumps(lm)), sk_rnn.load(tmp_path / "lm.safetensors")):
        np.testing.assert_array_equal(
            restored.score_samples(["the cat ran", "a zebra sat"]), expected
        )
        assert restored.sample(2, random_state=0) == lm.sample(2, random_state=0)
    assert all(set(s.split()) <= set(lm.vocabulary_) for s in lm.sample(10, random_state=1))


def test_reproducible_fits():
    texts = regular_texts(40, np.random.default_rng(3))
    first = RNNLanguageModel(max_epochs=2, dropout=0.2, **FAST).fit(texts).score_samples(texts)
    second = RNNLanguageModel(max_epochs=2, dropout=0.2, **FAST).fit(texts).score_samples(texts)
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize(
    "params, X, error, match",
    [
        (dict(tie_weights=True, hidden_size=8), ["ab"], ValueError, "embedding_dim \\(64\\)"),
        (dict(weight_drop=1.0), ["ab"], ValueError, "weight_drop"),
        ({}, [np.zeros((3, 2))], TypeError, "needs text"),
        ({}, ["ab", ""], ValueError, "Sample 1 of X has no tokens"),
    ],
)
def test_bad_fits(params, X, error, match):
    with pytest.raises(error, match=match):
        RNNLanguageModel(max_epochs=1, **params).fit(X)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(temperature=-1), "temperature must be a finite number >= 0"),
        (dict(top_p=0.0), "top_p must be in"),
        (dict(top_p=1.5), "top_p must be in"),
        (dict(top_k=0), "top_k must be a positive"),
        (dict(max_length=0), "max_length must be"),
        (dict(prompt="zebra giraffe"), "Every token of the prompt is unknown"),
    ],
)
def test_bad_sampling_settings(kwargs, match):
    lm = RNNLanguageModel(max_epochs=1, hidden_size=4).fit(["the cat", "a dog"])
    with pytest.raises(ValueError, match=match):
        lm.sample(**kwargs)


@pytest.mark.parametrize("temperature", [float("nan"), float("inf"), -1.0])
def test_sampling_temperature_must_be_finite(fitted, temperature):
    with pytest.raises(ValueError, match="temperature must be a finite number"):
        fitted.sample(2, temperature=temperature)


def test_auto_epochs_count_stream_batches_of_bptt_tokens():
    from sk_rnn._datasets import make_dataset
    from sk_rnn._parameters import AUTO_EPOCHS
    from sk_rnn._sequences import Sequences, offsets_of

    # 200 texts of 499 tokens (+ <eos> each): 100,000 tokens.
    lengths = np.full(200, 499)
    dataset = make_dataset(
        Sequences(np.zeros(lengths.sum(), np.int64), lengths, offsets_of(lengths))
    )
    model = RNNLanguageModel(batch_size=10, bptt=100)
    model.early_stopping_ = False
    assert model._batches_per_epoch(dataset) == 100
    assert model._resolve_max_epochs(dataset) == 30  # about 3,000 optimizer steps
    model.early_stopping_ = True  # a tenth held out: 90 batches
    assert model._resolve_max_epochs(dataset) == 34
    model = RNNLanguageModel(batch_size=1000, bptt=100)
    model.early_stopping_ = False
    assert model._batches_per_epoch(dataset) == 1
    assert model._resolve_max_epochs(dataset) == AUTO_EPOCHS[1]
    # A large corpus costs the same steps in fewer epochs, one at least.
    model = RNNLanguageModel(batch_size=10, bptt=10)
    model.early_stopping_ = False
    assert model._resolve_max_epochs(dataset) == 3  # 1,000 batches an epoch
    model.set_params(batch_size=1)
    assert model._resolve_max_epochs(dataset) == 1
    model.set_params(max_epochs=7)
    assert model._resolve_max_epochs(dataset) == 7
