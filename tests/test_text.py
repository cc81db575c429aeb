"""Text and token input: the shared vocabulary, tokenizers, embeddings, learning from order."""

import pickle

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline

import sk_rnn
from sk_rnn import RNNClassifier, RNNRegressor, SequenceVectorizer

TINY = dict(hidden_size=8, embedding_dim=8, max_epochs=2, random_state=0)


def negation_task(n, rng):
    """Every sentence holds 'not', 'good' and 'bad' once: only the order tells the label.

    'not good ... bad' is negative, 'not bad ... good' positive; a bag of words sees the
    same counts in both classes.
    """
    fillers = ["the", "movie", "was", "plot", "really", "and", "acting", "but"]
    X, y = [], []
    for _ in range(n):
        negated, other = ("good", "bad") if rng.random() < 0.5 else ("bad", "good")
        words = list(rng.choice(fillers, size=rng.integers(2, 6)))
        words.insert(rng.integers(0, len(words) + 1), other)
        at = rng.integers(0, len(words) + 1)
        words[at:at] = ["not", negated]
        X.append(" ".join(words))
        y.append("pos" if negated == "bad" else "neg")
    return X, np.array(y)


def test_rnn_learns_word_order_that_bag_of_words_cannot():
    rng = np.random.default_rng(0)
    X, y = negation_task(600, rng)
    X_test, y_test = negation_task(300, rng)
    bag = make_pipeline(CountVectorizer(), LogisticRegression()).fit(X, y)
    assert bag.score(X_test, y_test) < 0.65
    rnn = RNNClassifier(
        cell="gru",
        bidirectional=True,
        hidden_size=16,
        embedding_dim=16,
        lr=0.01,
        max_epochs=20,
        random_state=0,
    ).fit(X, y)
    assert rnn.score(X_test, y_test) > 0.9


def test_vocabulary_reserved_tokens_order_and_unknowns():
    vec = SequenceVectorizer(min_frequency=2).fit(["a b b c", "b a d", "<unk> e"])
    names = vec.get_feature_names_out().tolist()
    assert names[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]
    assert names[4:] == ["b", "a"]  # most frequent first; c, d, e are rare
    assert vec.n_unknown_ == 6  # c, d, e, and "<", "unk", ">" from splitting "<unk>"
    np.testing.assert_array_equal(vec.transform(["a z b"])[0], [5, 1, 4])
    assert vec.unknown_rate(["a z b"]) == pytest.approx(1 / 3)
    assert SequenceVectorizer(max_vocabulary=1).fit(["a b b"]).get_feature_names_out()[4] == "b"


@pytest.mark.parametrize(
    "tokenizer, text, tokens",
    [
        ("word", "Élan, naïve café!", ["élan", ",", "naïve", "café", "!"]),
        ("word", "東京で会議😀", ["東京で会議", "😀"]),
        ("word_layout", "One,\n\ttwo\r\n", ["one", ",", "\n", "\t", "two", "\n"]),
        ("whitespace", "a  b\tc", ["a", "b", "c"]),
        ("char", "ab c", ["a", "b", " ", "c"]),
        (lambda s: s.split("-"), "x-y", ["x", "y"]),
    ],
)
def test_tokenizers(tokenizer, text, tokens):
    vec = SequenceVectorizer(tokenizer=tokenizer).fit([text])
    assert vec.inverse_transform(vec.transform([text])) == [tokens]


@pytest.mark.parametrize("estimator", [RNNClassifier, RNNRegressor])
def test_sequence_level_estimators_read_line_breaks_and_tabs_in_text(estimator):
    # Layout tells a poem from a quotation ("word_layout", chosen by CV on fortunes).
    texts = ["a line\nanother line", "one\tline here"] * 3
    model = estimator(hidden_size=4, max_epochs=1, random_state=0).fit(texts, [0, 1] * 3)
    assert {"\n", "\t"} <= set(model.vocabulary_)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=8))
def test_char_round_trip_over_unicode(texts):
    vec = SequenceVectorizer(tokenizer="char", lowercase=False).fit(texts)
    decoded = vec.inverse_transform(vec.transform(texts))
    assert ["".join(tokens) for tokens in decoded] == texts


TOKENS = st.text(min_size=1, max_size=5).filter(lambda t: t not in ("<pad>", "<bos>", "<eos>"))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(TOKENS, min_size=1, max_size=6), min_size=1))
def test_token_lists_round_trip(token_lists):
    if all(t == "<unk>" for tokens in token_lists for t in tokens):
        return  # nothing to learn: the vocabulary would be empty
    vec = SequenceVectorizer(lowercase=False).fit(token_lists)
    assert vec.inverse_transform(vec.transform(token_lists)) == token_lists


def test_reserved_tokens_in_data_are_an_error_except_unk():
    vec = SequenceVectorizer(lowercase=False).fit([["a", "<unk>", "b"]])
    assert vec.transform([["<unk>", "a"]])[0].tolist() == [1, 4]
    with pytest.raises(ValueError, match="Sample 1 of X contains the reserved token '<eos>'"):
        vec.transform([["a"], ["b", "<eos>"]])


@pytest.mark.parametrize(
    "X, error, match",
    [
        (["fine", None], TypeError, "Sample 1 of X is NoneType"),
        (["fine", 3.5], TypeError, "Sample 1 of X is float"),
        (["fine", ["ok", 3]], TypeError, "Sample 1 of X is a token list containing 3"),
        (["fine", {"a": 1}], TypeError, "Sample 1 of X is dict"),
        ([["fine"], "and text"], None, None),
        ([], ValueError, "0"),
        (["", " "], ValueError, "no tokens"),
        ("one string", TypeError, "not a single string"),
    ],
)
def test_bad_text_input(X, error, match):
    if error is None:
        SequenceVectorizer().fit(X)
        return
    with pytest.raises(error, match=match):
        SequenceVectorizer().fit(X)


def test_empty_vocabulary_after_min_frequency():
    with pytest.raises(ValueError, match="vocabulary is empty.*min_frequency=3"):
        SequenceVectorizer(min_frequency=3).fit(["a b", "c"])
    # The classifier's default (min_frequency=2) on word tokens of texts without a repeated
    # word says so before training; an empty text is named first, whatever the vocabulary.
    model = RNNClassifier(tokenizer="word", max_epochs=1)
    with pytest.raises(ValueError, match="vocabulary is empty.*min_frequency=2"):
        model.fit(["a b", "c d"], [0, 1])
    assert not hasattr(model, "net_")
    with pytest.raises(ValueError, match="Sample 1 of X has no tokens"):
        model.fit(["a b", "  ", "c d"], [0, 1, 0])


def test_estimator_errors_for_text():
    clf = RNNClassifier(**TINY).fit(["a b", "b c", "c a", "a a"], [0, 1, 0, 1])
    with pytest.raises(ValueError, match="Sample 1 of X has no tokens"):
        clf.predict(["a", "!?" * 0])
    with pytest.raises(TypeError, match="fitted on text"):
        clf.predict([np.zeros((3, 1))])
    numeric = RNNClassifier(**TINY).fit([np.zeros((3, 1))] * 4, [0, 1, 0, 1])
    with pytest.raises(TypeError, match="fitted on numeric"):
        numeric.predict(["a b"])
    with pytest.raises(ValueError, match="frame_size applies to numeric"):
        RNNClassifier(frame_size=2, **TINY).fit(["a b", "b"], [0, 1])


def test_unknown_tokens_at_predict_map_to_unk():
    clf = RNNClassifier(**TINY).fit(["a b", "b c", "c a", "a a"], [0, 1, 0, 1])
    ids = clf.vectorizer_.transform(["zzz a"])[0]
    assert ids[0] == 1
    assert clf.predict(["zzz qqq"]).shape == (1,)


def test_pretrained_embeddings_are_aligned_warned_and_frozen():
    vectors = {"good": np.full(4, 1.0), "bad": np.full(4, -1.0), "unused": np.zeros(4)}
    X, y = ["good movie", "bad movie", "good", "bad"], [1, 0, 1, 0]
    with pytest.warns(UserWarning, match="1 of 3 vocabulary tokens have no pretrained"):
        clf = RNNClassifier(
            embeddings=vectors, freeze_embeddings=True, **dict(TINY, embedding_dim=None)
        )
        clf.fit(X, y)
    weight = clf.net_.module_.encoder.embedding.weight
    vocab = clf.vocabulary_
    torch.testing.assert_close(weight[vocab["good"]], torch.ones(4))
    torch.testing.assert_close(weight[vocab["bad"]], -torch.ones(4))
    assert not weight.requires_grad
    tokens, matrix = ["good", "bad"], np.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.warns(UserWarning, match="1 of 3"):
        reg = RNNRegressor(embeddings=(tokens, matrix), **dict(TINY, embedding_dim=None))
        reg.fit(X, [1.0, 0.0, 1.0, 0.0])
    trained = reg.net_.module_.encoder.embedding.weight[reg.vocabulary_["bad"]]
    torch.testing.assert_close(trained, torch.tensor([3.0, 4.0]), atol=0.05, rtol=0)
    with pytest.raises(ValueError, match="2 dimensions but embedding_dim=8"):
        RNNRegressor(embeddings=(tokens, matrix), **TINY).fit(X, [1.0, 0.0, 1.0, 0.0])


def test_text_estimator_pickles_and_saves_safely(tmp_path):
    X, y = negation_task(60, np.random.default_rng(1))
    clf = RNNClassifier(tokenizer="char", **TINY).fit(X, y)
    expected = clf.predict_proba(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X), expected)
    clf.save(tmp_path / "text.safetensors")
    loaded = sk_rnn.load(tmp_path / "text.safetensors")
    assert loaded.vocabulary_ == clf.vocabulary_
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    with_callable = RNNClassifier(tokenizer=str.split, **TINY).fit(X, y)
    with pytest.raises(ValueError, match="tokenizer"):
        with_callable.save(tmp_path / "callable.safetensors")


def test_grid_search_over_tokenizer_and_embedding_dim():
    X, y = negation_task(80, np.random.default_rng(2))
    grid = {"tokenizer": ["word", "char"], "embedding_dim": [4, 8]}
    search = GridSearchCV(RNNClassifier(**TINY), grid, cv=2).fit(X, y)
    best = search.best_estimator_
    assert best.vectorizer_.tokenizer == search.best_params_["tokenizer"]
    assert best.net_.module_.encoder.embedding.embedding_dim == search.best_params_["embedding_dim"]
    # A fit that failed would score NaN.
    assert np.isfinite(cross_val_score(RNNClassifier(**TINY), X, y, cv=2)).all()


def test_callable_tokenizers_are_checked_and_empty_tokens_left_out():
    with pytest.raises(TypeError, match="tokenizer returned NoneType for sample 0"):
        RNNClassifier(tokenizer=lambda s: None, max_epochs=1).fit(["a b", "c"], [0, 1])
    model = RNNClassifier(
        tokenizer=lambda s: s.split(" "), min_frequency=1, max_epochs=1, hidden_size=4
    )
    model.fit(["a  b", " c"], [0, 1])
    assert "" not in model.vocabulary_
    assert model.vectorizer_.get_feature_names_out()[4:].tolist() == ["a", "b", "c"]


def test_inverse_transform_refuses_ids_outside_the_vocabulary():
    vectorizer = SequenceVectorizer().fit(["a b"])
    with pytest.raises(ValueError, match="Sample 0 of X contains the id -1"):
        vectorizer.inverse_transform([[-1]])
    with pytest.raises(ValueError, match="Sample 1 of X contains the id 6"):
        vectorizer.inverse_transform([[4], [6]])


def test_tokenizer_auto_reads_single_words_and_singletons_as_characters(tmp_path):
    # Syllables from spelling: one word per text; as words every one would be <unk>.
    words = ["cat", "banana", "dog", "tomato", "a", "umbrella"] * 10
    syllables = np.array([len([c for c in w if c in "aeiou"]) for w in words], float)
    small = dict(hidden_size=8, max_epochs=1, random_state=0, shrink_to_mean=False)
    model = RNNRegressor(**small).fit(words, syllables)
    assert model.vectorizer_.tokenizer == "char"
    assert set(model.vocabulary_) >= set("catbnod")
    sentences = ["the cat sat", "a dog ran far", "one word"] * 10
    model = RNNRegressor(**small).fit(sentences, np.arange(30.0))
    assert model.vectorizer_.tokenizer == "word_layout"
    # Texts of several words, most of them seen once (codes, names): a word vocabulary
    # would be mostly singletons, so "auto" reads characters; the saved model keeps it.
    codes = [f"id{i} x{i * 7} {'pending' if i % 3 else 'done'}" for i in range(30)]
    model = RNNRegressor(**small).fit(codes, np.arange(30.0))
    assert model.vectorizer_.tokenizer == "char"
    model.save(tmp_path / "codes.safetensors")
    assert sk_rnn.load(tmp_path / "codes.safetensors").vectorizer_.tokenizer == "char"
    # An explicit tokenizer is kept; seq2seq resolves both of its sides.
    explicit = RNNRegressor(tokenizer="word", **small).fit(words, syllables)
    assert explicit.vectorizer_.tokenizer == "word"
    seq2seq = sk_rnn.RNNSeq2Seq(hidden_size=8, max_epochs=1, random_state=0)
    seq2seq.fit(["cat", "dog"] * 5, ["tac", "god"] * 5)
    assert seq2seq.vectorizer_.tokenizer == seq2seq.target_vectorizer_.tokenizer == "char"
    assert seq2seq.predict(["cat"])[0].isalpha()
