"""RNNTagger: learning, CRF exactness, batch invariance, errors, search and persistence."""

import itertools
import pickle
from collections import Counter

import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV
from tasks import neighbour_tags, suffix_tags, typed_entities

import sk_rnn
from sk_rnn import RNNTagger
from sk_rnn._modules import CharacterEncoder, LinearChainCRF
from sk_rnn.metrics import entity_f1_score, entity_f1_scorer

# Synthetic tasks of three-token vocabularies: token dropout would hide the very tokens
# that decide the tags, so these tests train without dropout. The affixes of one-letter
# words are the words again, so they are off unless a test is about them.
FAST = dict(
    hidden_size=16,
    embedding_dim=64,
    affix_features=False,
    max_epochs=20,
    lr=0.02,
    dropout=0.0,
    token_dropout=0.0,
    random_state=0,
)


@pytest.fixture(scope="module")
def entity_data():
    rng = np.random.default_rng(0)
    return typed_entities(200, rng), typed_entities(200, rng)


# -- learning ------------------------------------------------------------------------------


def test_needs_left_and_right_context():
    rng = np.random.default_rng(0)
    (X, y), (X_test, y_test) = neighbour_tags(300, rng), neighbour_tags(200, rng)
    assert RNNTagger(**FAST).fit(X, y).score(X_test, y_test) > 0.97
    # The same rule is out of reach of a left-to-right reader: the task needs both sides.
    assert RNNTagger(bidirectional=False, **FAST).fit(X, y).score(X_test, y_test) < 0.5


def test_crf_decodes_label_transitions(entity_data):
    (X, y), (X_test, y_test) = entity_data
    params = dict(bidirectional=False, **FAST)
    with_crf = entity_f1_score(y_test, RNNTagger(crf=True, **params).fit(X, y).predict(X_test))
    without = entity_f1_score(y_test, RNNTagger(crf=False, **params).fit(X, y).predict(X_test))
    assert with_crf > 0.98
    assert without < 0.6


def test_affixes_and_characters_tag_unseen_words():
    rng = np.random.default_rng(0)
    (X, y), (X_test, y_test) = suffix_tags(300, rng), suffix_tags(200, rng)
    seen = {w for sentence in X for w in sentence}
    unseen = np.array([w not in seen for sentence in X_test for w in sentence])
    assert unseen.mean() > 0.9
    truth = np.concatenate(y_test)[unseen]

    def unseen_word_accuracy(tagger):
        return np.mean(np.concatenate(tagger.fit(X, y).predict(X_test))[unseen] == truth)

    assert RNNTagger().affix_features  # on by default
    affixes = RNNTagger(**{**FAST, "affix_features": True})
    assert unseen_word_accuracy(affixes) > 0.97
    chars = RNNTagger(character_features=True, **FAST)
    assert unseen_word_accuracy(chars) > 0.97
    assert unseen_word_accuracy(RNNTagger(**FAST)) < 0.7
    letters = Counter(c for sentence in X for w in sentence for c in w)
    assert set(chars.character_vocabulary_) == {c for c, n in letters.items() if n >= 2}
    assert chars.affix_vocabularies_ is None
    # Affixes seen at least twice get ids from 2 (0 pads, 1 is unknown), most frequent first.
    endings = Counter(w[-3:] for sentence in X for w in sentence)
    suffix3 = affixes.affix_vocabularies_["suffix3"]
    assert set(suffix3) == {e for e, n in endings.items() if n >= 2}
    assert suffix3["ing"] == 2 and sorted(suffix3.values()) == list(range(2, len(suffix3) + 2))
    assert affixes.affix_vocabularies_["shape"] == {"x": 2}


@pytest.mark.parametrize(
    "token, shape",
    [
        ("Paris", "Xx"),
        ("1999年", "dc"),
        ("トヨタ自動車", "kc"),
        ("さん", "h"),
        ("U.S.", "X.X."),
        ("Ｘ線", "oc"),  # a full-width Latin letter is another letter
        ("", ""),
    ],
)
def test_token_shapes(token, shape):
    from sk_rnn._token_features import token_shape as _token_shape

    assert _token_shape(token) == shape


def test_token_dropout_hides_affixes_and_follows_warm_starts(entity_data):
    (X, y), _ = entity_data
    params = dict(FAST, affix_features=True, max_epochs=1, token_dropout=0.3)
    tagger = RNNTagger(warm_start=True, **params).fit(X, y)
    affixes = tagger.net_.module_.encoder.token_feature_encoder
    assert affixes.token_dropout == 0.3
    ids = torch.full((50, 40, len(affixes.tables)), 2)  # each affix's most frequent value
    affixes.train()
    torch.manual_seed(0)
    per_affix = (50, 40, len(affixes.tables), -1)
    unknown = affixes(torch.ones_like(ids)).reshape(per_affix)
    hidden = (affixes(ids).reshape(per_affix) == unknown).all(-1)
    assert 0.25 < hidden.float().mean() < 0.35
    tagger.set_params(token_dropout=0.0).fit(X, y)
    assert tagger.net_.module_.encoder.token_feature_encoder.token_dropout == 0.0


def test_numeric_sequences_with_any_labels():
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(n, 2)).astype(np.float32) for n in rng.integers(3, 9, size=120)]
    y = [np.where(x[:, 0] > 0, 10, -10) for x in X]
    tagger = RNNTagger(**FAST).fit(X, y)
    predicted = tagger.predict(X[:5])
    assert [len(p) for p in predicted] == [len(x) for x in X[:5]]
    assert tagger.classes_.tolist() == [-10, 10]
    assert tagger.score(X, y) > 0.95
    assert tagger.n_features_in_ == 2


# -- predictions ---------------------------------------------------------------------------


@pytest.mark.parametrize("crf", [False, True])
def test_outputs_match_inputs_and_ignore_batch_mates(entity_data, crf):
    (X, y), (X_test, _) = entity_data
    params = {**FAST, "affix_features": True, "character_features": True}
    tagger = RNNTagger(crf=crf, **params).fit(X, y)
    proba = tagger.predict_proba(X_test)
    labels = tagger.predict(X_test)
    for sample, tokens in enumerate(X_test[:20]):
        assert proba[sample].shape == (len(tokens), len(tagger.classes_))
        np.testing.assert_allclose(proba[sample].sum(axis=1), 1.0, atol=1e-9)
        alone_proba = tagger.predict_proba([tokens])[0]
        np.testing.assert_allclose(alone_proba, proba[sample], atol=1e-5)
        assert labels[sample].tolist() == tagger.predict([tokens])[0].tolist()


def test_softmax_predict_is_argmax_of_proba(entity_data):
    (X, y), (X_test, _) = entity_data
    tagger = RNNTagger(crf=False, **FAST).fit(X, y)
    for p, labels in zip(tagger.predict_proba(X_test), tagger.predict(X_test), strict=True):
        assert labels.tolist() == tagger.classes_[p.argmax(axis=1)].tolist()


def test_reproducible(entity_data):
    (X, y), (X_test, _) = entity_data
    first = RNNTagger(crf=True, **FAST).fit(X, y).predict_proba(X_test)
    second = RNNTagger(crf=True, **FAST).fit(X, y).predict_proba(X_test)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


# -- the CRF against brute force -----------------------------------------------------------


def _brute_force(crf, emissions, length):
    """Scores of every label sequence of one sequence, by enumeration."""
    n_labels = emissions.shape[-1]
    paths = list(itertools.product(range(n_labels), repeat=length))
    scores = []
    for path in paths:
        score = crf.start[path[0]] + crf.end[path[-1]]
        score = score + sum(emissions[t, label] for t, label in enumerate(path))
        score = score + sum(crf.transitions[a, b] for a, b in itertools.pairwise(path))
        scores.append(score)
    return paths, torch.stack(scores)


@pytest.fixture
def random_crf():
    torch.manual_seed(0)
    crf = LinearChainCRF(3).double()
    with torch.no_grad():
        for parameter in crf.parameters():
            parameter.normal_()
    lengths = torch.tensor([4, 1, 3, 2])
    emissions = torch.randn(4, 4, 3, dtype=torch.float64)
    mask = torch.arange(4)[None, :] < lengths[:, None]
    return crf, emissions, mask, lengths


def test_crf_matches_brute_force(random_crf):
    crf, emissions, mask, lengths = random_crf
    with torch.no_grad():
        log_z = crf.log_partition(emissions, mask)
        best = crf.viterbi(emissions, mask)
        marginals = crf.marginals(emissions, mask)
        for b, n in enumerate(lengths.tolist()):
            paths, scores = _brute_force(crf, emissions[b], n)
            torch.testing.assert_close(log_z[b], torch.logsumexp(scores, 0))
            assert best[b, :n].tolist() == list(paths[int(scores.argmax())])
            probabilities = torch.softmax(scores, 0)
            for t in range(n):
                for label in range(3):
                    expected = sum(
                        p for p, path in zip(probabilities, paths, strict=True) if path[t] == label
                    )
                    torch.testing.assert_close(marginals[b, t, label], expected)
            labels = torch.zeros(1, 4, dtype=torch.long)
            labels[0, :n] = torch.tensor(paths[7 % len(paths)])
            nll = crf.negative_log_likelihood(emissions[b : b + 1], labels, mask[b : b + 1])
            torch.testing.assert_close(nll[0], torch.logsumexp(scores, 0) - scores[7 % len(paths)])


def test_crf_ignores_padding(random_crf):
    crf, emissions, mask, _ = random_crf
    noisy = emissions.clone()
    noisy[~mask] = 1e3
    torch.testing.assert_close(crf.log_partition(noisy, mask), crf.log_partition(emissions, mask))
    decoded, decoded_noisy = crf.viterbi(emissions, mask), crf.viterbi(noisy, mask)
    assert decoded[mask].tolist() == decoded_noisy[mask].tolist()


def test_character_encoder_ignores_padding():
    encoder = CharacterEncoder(10, n_filters=4)
    chars = torch.tensor([[3, 4, 5, 0, 0], [3, 4, 5, 0, 0]])
    wide = torch.tensor([[3, 4, 5, 0, 0, 0, 0]])
    torch.testing.assert_close(encoder(chars)[0], encoder(wide)[0])
    assert encoder(torch.zeros(1, 5, dtype=torch.long)).abs().sum() == 0


# -- sklearn integration -------------------------------------------------------------------


def test_grid_search_with_entity_f1(entity_data):
    (X, y), _ = entity_data
    search = GridSearchCV(
        RNNTagger(bidirectional=False, **FAST),
        {"crf": [False, True]},
        scoring=entity_f1_scorer,
        cv=2,
    ).fit(X, y)
    assert search.best_params_ == {"crf": True}
    assert search.best_score_ > 0.95


@pytest.mark.parametrize("crf", [False, True])
def test_pickle_and_safe_round_trips(entity_data, tmp_path, crf):
    (X, y), (X_test, _) = entity_data
    params = {**FAST, "affix_features": True, "character_features": 8, "lowercase": False}
    tagger = RNNTagger(crf=crf, **params).fit(X, y)
    expected = tagger.predict_proba(X_test)
    tagger.save(tmp_path / "tagger.safetensors")
    for restored in (
        pickle.loads(pickle.dumps(tagger)),
        sk_rnn.load(tmp_path / "tagger.safetensors"),
    ):
        for a, b in zip(restored.predict_proba(X_test), expected, strict=True):
            np.testing.assert_array_equal(a, b)
        assert restored.classes_.tolist() == tagger.classes_.tolist()


def test_partial_fit_with_classes(entity_data):
    (X, y), _ = entity_data
    labels = sorted({t for tags in y for t in tags})
    tagger = RNNTagger(**FAST)
    tagger.partial_fit(X[:5], y[:5], classes=labels)
    tagger.partial_fit(X, y)
    assert tagger.classes_.tolist() == labels
    assert len(tagger.history_) == 2


# -- errors --------------------------------------------------------------------------------

GOOD_X = [["a", "b"], ["c"], ["a", "c", "b"]]
GOOD_Y = [["X", "Y"], ["Y"], ["X", "X", "Y"]]


@pytest.mark.parametrize(
    "y, error, match",
    [
        (
            [["X", "Y"], ["Y", "X"], ["X", "X", "Y"]],
            ValueError,
            "Sample 1 of y has 2 labels.*1 step",
        ),
        ([["X", "Y"], ["Y"]], ValueError, "3 sequences in X, 2 label sequences"),
        (["X", "Y", "X"], ValueError, "Sample 0 of y is 'X', not a sequence"),
        ([["X", "Y"], [1], ["X", "X", "Y"]], TypeError, "mixes strings and numbers"),
        ([["X", "X"], ["X"], ["X", "X", "X"]], ValueError, "only one class of label"),
        ("XYY", TypeError, "list of label sequences"),
    ],
)
def test_bad_y(y, error, match):
    with pytest.raises(error, match=match):
        RNNTagger(max_epochs=1).fit(GOOD_X, y)


def test_empty_sentence():
    with pytest.raises(ValueError, match="Sample 1 of X has no tokens"):
        RNNTagger(max_epochs=1).fit(["a b", "", "c"], GOOD_Y)


def test_label_unseen_in_fit_at_score():
    tagger = RNNTagger(max_epochs=1, hidden_size=4).fit(GOOD_X, GOOD_Y)
    with pytest.raises(ValueError, match=r"\['Z'\] that were not seen in fit"):
        tagger.score(GOOD_X, [["X", "Z"], ["Y"], ["X", "X", "Y"]])


def test_invalid_settings():
    # Labels belong to single steps: frames are not a parameter of the tagger.
    assert "frame_size" not in RNNTagger().get_params()
    with pytest.raises(ValueError, match="character_features applies to text"):
        RNNTagger(character_features=True, max_epochs=1).fit(
            [np.zeros((3, 1)), np.ones((3, 1))], [[0, 1, 0]] * 2
        )


def test_soft_vote_of_crf_taggers_as_the_guide_shows():
    X, y = neighbour_tags(60, np.random.default_rng(3))
    params = dict(FAST, crf=True, max_epochs=3)
    taggers = [RNNTagger(**{**params, "random_state": seed}).fit(X, y) for seed in range(2)]
    probabilities = [tagger.predict_proba(X[:10]) for tagger in taggers]
    predicted = [
        taggers[0].classes_[np.mean(sentence, axis=0).argmax(axis=1)]
        for sentence in zip(*probabilities, strict=True)
    ]
    for sentence, labels, first, second in zip(X, predicted, *probabilities, strict=False):
        assert len(labels) == len(sentence)
        np.testing.assert_allclose(first.sum(1), 1.0, rtol=1e-5)  # CRF marginals
        np.testing.assert_array_equal(labels, taggers[0].classes_[(first + second).argmax(1)])
    np.testing.assert_array_equal(taggers[0].classes_, taggers[1].classes_)


def test_continuous_labels_are_refused():
    X = [["a", "b"], ["b", "a"]] * 3
    with pytest.raises(ValueError, match="continuous"):
        RNNTagger(max_epochs=1).fit(X, [[0.1, 0.72], [0.33, 0.9]] * 3)


def test_labels_in_pandas_containers():
    pd = pytest.importorskip("pandas")
    X = pd.Series([["a", "b"], ["b", "a", "a"]] * 5, index=range(100, 110))
    y = pd.Series([pd.Series(["x", "y"]), ["y", "x", "x"]] * 5, index=range(200, 210))
    tagger = RNNTagger(hidden_size=8, max_epochs=30, lr=0.05, random_state=0).fit(X, y)
    assert [p.tolist() for p in tagger.predict(X[:2])] == [["x", "y"], ["y", "x", "x"]]
