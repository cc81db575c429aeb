"""The defaults carry the recipes: input scaling, automatic frames, epochs and early
stopping, the learning-rate schedule, and the convolution branch."""

import copy

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from tasks import delayed_recall

import sk_rnn
from sk_rnn import RNNClassifier, RNNRegressor, RNNTagger
from sk_rnn._modules import ConvolutionBranch
from sk_rnn._parameters import AUTO_EMBEDDING_DIM, DEFAULT_EMBEDDING_DIM


def raw(X, scale=1000.0, offset=1000.0):
    """The same sequences in raw units: values around 1,000, spread in the hundreds."""
    return [(x * scale + offset).astype(np.float32) for x in X]


def decades_apart(X, seed=0):
    """Each sequence times its own gain of 10**u, u uniform in [-3, 3], plus an offset:
    the same shapes in units that span six decades across sequences."""
    rng = np.random.default_rng(seed)
    return [((x + rng.uniform(-10, 10)) * 10.0 ** rng.uniform(-3, 3)).astype(np.float32) for x in X]


def test_global_scaling_learns_from_raw_unscaled_inputs():
    rng = np.random.default_rng(0)
    X, y = delayed_recall(300, rng)
    X_test, y_test = delayed_recall(200, rng)
    model = RNNClassifier(standardize="global", random_state=0).fit(raw(X), y)
    assert model.score(raw(X_test), y_test) >= 0.9
    # The scaling was learned in fit, over every step of every training sequence.
    steps = np.concatenate(raw(X))
    np.testing.assert_allclose(model.input_mean_, steps.mean(0), rtol=1e-4)
    np.testing.assert_allclose(model.input_scale_, steps.std(0), rtol=1e-4)
    assert model.input_scaling_ == "global"
    assert RNNClassifier(standardize=True).fit(X[:20], y[:20]).input_scaling_ == "global"


def _shapes(n, rng):
    """Label = whether a sequence rises or falls; its level and size say nothing."""
    y = rng.integers(0, 2, n)
    t = np.linspace(0, 1, 20)
    X = [(np.where(label, t, -t) + 0.3 * rng.normal(size=20))[:, None] for label in y]
    return X, y


def test_per_series_scaling_reads_magnitudes_that_span_decades():
    rng = np.random.default_rng(1)
    X, y = _shapes(200, rng)
    X_test, y_test = _shapes(200, rng)
    small = dict(hidden_size=8, max_epochs=20, conv_channels=None, random_state=0)
    per_series = RNNClassifier(**small).fit(decades_apart(X), y)
    assert per_series.input_scaling_ == "per_series" and per_series.input_mean_ is None
    assert per_series.score(decades_apart(X_test, seed=1), y_test) > 0.9
    # One mean and scale over every step of every series: the small series are flat.
    global_ = RNNClassifier(standardize="global", **small).fit(decades_apart(X), y)
    assert global_.score(decades_apart(X_test, seed=1), y_test) < 0.75


def test_per_series_scaling_does_not_see_a_series_gain_or_offset():
    rng = np.random.default_rng(2)
    X, y = delayed_recall(60, rng)
    model = RNNClassifier(standardize="per_series", hidden_size=4, max_epochs=2, random_state=0)
    model.fit(X, y)
    rescaled = [(x + 7.5) * 1e3 for x in X]
    np.testing.assert_allclose(model.predict_proba(rescaled), model.predict_proba(X), atol=1e-4)
    # One location and scale per series, over its features together: their levels
    # relative to one another stay, so the step's two features are not made alike.
    x = np.array([[0.0, 10.0], [2.0, 12.0]])
    encoded = model._encode_inputs([x])
    np.testing.assert_allclose(encoded.values, (x - x.mean()) / x.std(), atol=1e-6)
    assert encoded.values[0, 0] < -1 and encoded.values[1, 1] > 1  # not each column alone


def test_without_standardize_raw_inputs_reach_the_network_unchanged():
    rng = np.random.default_rng(1)
    X, y = delayed_recall(40, rng)
    model = RNNClassifier(standardize=False, hidden_size=4, max_epochs=1, random_state=0)
    model.fit(raw(X), y)
    assert model.input_mean_ is None and model.input_scale_ is None
    encoded = model._encode_inputs(raw(X[:1]))
    np.testing.assert_array_equal(encoded.values, raw(X[:1])[0])


def test_a_constant_feature_keeps_scale_one():
    rng = np.random.default_rng(2)
    X = [np.column_stack([rng.normal(size=5), np.full(5, 7.0)]) for _ in range(20)]
    model = RNNRegressor(hidden_size=4, max_epochs=1, random_state=0).fit(X, rng.normal(size=20))
    assert model.input_scale_[1] == 1.0
    assert np.isfinite(model.predict(X)).all()


def test_input_scaling_survives_save_and_load(tmp_path):
    rng = np.random.default_rng(3)
    X, y = delayed_recall(60, rng)
    model = RNNClassifier(hidden_size=8, max_epochs=3, random_state=0).fit(raw(X), y)
    model.save(tmp_path / "m.skrnn")
    loaded = sk_rnn.load(tmp_path / "m.skrnn")
    np.testing.assert_array_equal(loaded.input_mean_, model.input_mean_)
    np.testing.assert_array_equal(loaded.input_scale_, model.input_scale_)
    np.testing.assert_allclose(loaded.predict_proba(raw(X)), model.predict_proba(raw(X)))


@pytest.mark.parametrize(
    ("lengths", "frame"),
    [((10, 30, 128), 1), ((100, 150, 200), 2), ((1279, 1280, 1281), 10), ((5, 2000, 2000), 16)],
)
def test_auto_frame_size_comes_from_the_median_training_length(lengths, frame):
    rng = np.random.default_rng(4)
    X = [rng.normal(size=(n, 2)).astype(np.float32) for n in lengths for _ in range(4)]
    y = np.tile([0, 1], len(X) // 2)
    model = RNNClassifier(hidden_size=4, max_epochs=1, random_state=0).fit(X, y)
    assert model.frame_size == "auto"
    assert model.frame_size_ == frame
    assert model.net_.module_.encoder.input_vector_size == 2 * frame
    # Prediction frames as fit did, whatever the lengths it is given.
    assert model.predict([rng.normal(size=(3, 2))]).shape == (1,)


def test_auto_max_epochs_trains_for_about_a_thousand_steps():
    rng = np.random.default_rng(5)
    X, y = delayed_recall(800, rng, 3, 4)
    tiny = dict(hidden_size=2, conv_channels=None, random_state=0)  # the count is what counts
    many = RNNClassifier(batch_size=8, **tiny).fit(X, y)
    assert len(many.history_) == 10  # 100 batches an epoch: the minimum of 10 epochs
    few = RNNClassifier(batch_size=10, **tiny)
    assert len(few.fit(X[:20], y[:20]).history_) == 500  # 2 batches an epoch: capped at 500
    assert RNNClassifier(max_epochs=3, **tiny).fit(X, y).history_[-1, "epoch"] == 3


def test_auto_early_stopping_turns_on_for_a_thousand_sequences():
    rng = np.random.default_rng(6)
    small = RNNClassifier(hidden_size=2, max_epochs=1, random_state=0)
    small.fit(*delayed_recall(999, rng, 3, 4))
    assert small.early_stopping_ is False and "valid_loss" not in small.history_[-1]
    large = RNNClassifier(hidden_size=2, max_epochs=1, random_state=0)
    large.fit(*delayed_recall(1000, rng, 3, 4))
    assert large.early_stopping_ is True and "valid_loss" in large.history_[-1]
    forced = RNNClassifier(hidden_size=2, max_epochs=1, early_stopping=False, random_state=0)
    assert forced.fit(*delayed_recall(1000, rng, 3, 4)).early_stopping_ is False


class WeightsEachEpoch(Callback):
    def initialize(self):
        self.weights_ = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.weights_.append(copy.deepcopy(net.module_.state_dict()))


def test_early_stopping_restores_the_best_epoch():
    # Random labels: the validation loss is best early and rises as the model memorises.
    rng = np.random.default_rng(7)
    X = [rng.normal(size=(8, 3)).astype(np.float32) for _ in range(200)]
    y = rng.integers(0, 2, 200)
    recorder = WeightsEachEpoch()
    model = RNNClassifier(
        hidden_size=32,
        lr=0.02,
        lr_schedule="constant",
        max_epochs=15,
        early_stopping=True,
        n_iter_no_change=20,
        callbacks=[recorder],
        random_state=0,
    ).fit(X, y)
    valid = model.history_[:, "valid_loss"]
    best = int(np.argmin(valid))
    assert best < len(valid) - 1  # the last epoch was not the best
    recorded = next(cb for _, cb in model.net_.callbacks_ if isinstance(cb, WeightsEachEpoch))
    weights = recorded.weights_
    final = model.net_.module_.state_dict()
    for name, tensor in weights[best].items():
        torch.testing.assert_close(final[name], tensor)


def test_cosine_schedule_decays_each_fit_and_partial_fit_trains_at_lr():
    rng = np.random.default_rng(8)
    X, y = delayed_recall(40, rng)
    model = RNNClassifier(hidden_size=4, max_epochs=4, lr=0.01, random_state=0).fit(X, y)
    expected = [0.01 * (1 + np.cos(np.pi * e / 4)) / 2 for e in range(4)]
    np.testing.assert_allclose(model.history_[:, "lr"], expected)
    # The optimizer's rate is put back, so continued training starts from lr again.
    assert model.net_.optimizer_.param_groups[0]["lr"] == 0.01
    model.partial_fit(X, y)
    assert model.history_[-1, "lr"] == 0.01
    constant = RNNClassifier(
        hidden_size=4, max_epochs=3, lr=0.01, lr_schedule="constant", random_state=0
    ).fit(X, y)
    assert "lr" not in constant.history_[-1]


def test_the_default_optimizer_decays_weights():
    assert RNNClassifier().optimizer is torch.optim.AdamW
    assert RNNTagger().optimizer is torch.optim.AdamW


@pytest.mark.parametrize("estimator", [RNNClassifier, RNNRegressor])
def test_conv_channels_off_gives_the_recurrent_network_alone(estimator):
    rng = np.random.default_rng(9)
    X, _ = delayed_recall(20, rng)
    y = np.tile([0, 1], 10)
    model = estimator(conv_channels=None, hidden_size=4, max_epochs=1, random_state=0).fit(X, y)
    assert model.net_.module_.convolution is None
    model = estimator(conv_channels=8, hidden_size=4, max_epochs=1, random_state=0).fit(X, y)
    assert isinstance(model.net_.module_.convolution, ConvolutionBranch)


@pytest.mark.parametrize("estimator", [RNNClassifier, RNNRegressor])
def test_auto_settings_follow_the_kind_of_input(estimator):
    y = np.tile([0, 1], 5)
    numeric = [np.full((4, 2), float(label)) for label in y]
    texts = ["a good day", "a bad day"] * 5
    layers = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
    settings = dict(hidden_size=4, max_epochs=1, random_state=0)
    for X, kind in ((numeric, 0), (texts, 1)):
        module = estimator(**settings).fit(X, y).net_.module_
        auto = estimator._auto_by_input
        assert isinstance(module.encoder.forward_layers[0], layers[auto["cell"][kind]])
        assert module.pooling == auto["pooling"][kind]
        assert (module.attention is not None) == (auto["pooling"][kind] == "attention")
        assert module.dropout.p == auto["dropout"][kind]
        channels = auto["conv_channels"][kind]
        if channels is None:
            assert module.convolution is None
        else:
            assert module.convolution.output_size == channels
        # An explicit value is used as given, whatever the input.
        explicit = estimator(**settings, cell="gru", pooling="last", dropout=0.0, conv_channels=8)
        module = explicit.fit(X, y).net_.module_
        assert isinstance(module.encoder.forward_layers[0], torch.nn.GRU)
        assert (module.pooling, module.dropout.p, module.convolution.output_size) == ("last", 0, 8)
    assert module.encoder.embedding.embedding_dim == AUTO_EMBEDDING_DIM
    # None keeps its meaning from before "auto" (files saved then hold it): 64 dimensions.
    module = estimator(**settings, embedding_dim=None).fit(texts, y).net_.module_
    assert module.encoder.embedding.embedding_dim == DEFAULT_EMBEDDING_DIM != AUTO_EMBEDDING_DIM
    # Numeric and text values differ, so the checks above tell the two kinds apart.
    assert all(series != text for series, text in estimator._auto_by_input.values())


# Texts and their word counts: a text regression for the "auto" records below.
COUNTED_TEXTS = ["one", "one two", "one two three", "two three"] * 5
WORD_COUNTS = np.array([len(t.split()) for t in COUNTED_TEXTS], dtype=float)


def test_a_model_keeps_what_auto_meant_when_it_was_fitted(tmp_path, monkeypatch):
    texts, y = COUNTED_TEXTS, WORD_COUNTS
    model = RNNRegressor(hidden_size=4, max_epochs=3, random_state=0).fit(texts, y)
    assert model.auto_settings_ == {k: v[1] for k, v in RNNRegressor._auto_by_input.items()}
    assert model.net_.module_.pooling == "attention"
    model.save(tmp_path / "m.safetensors")
    # Were the table to change, the model and its file keep the meaning of their fit.
    table = {**RNNRegressor._auto_by_input, "pooling": ("mean", "last")}
    monkeypatch.setattr(RNNRegressor, "_auto_by_input", table)
    loaded = sk_rnn.load(tmp_path / "m.safetensors")
    assert loaded.net_.module_.pooling == "attention"
    np.testing.assert_array_equal(loaded.predict(texts), model.predict(texts))
    assert RNNRegressor(hidden_size=4, max_epochs=1).fit(texts, y).net_.module_.pooling == "last"
    # Estimators whose parameters take no "auto" of this kind record none.
    tagger = RNNTagger(hidden_size=4, max_epochs=1).fit([["a", "b"]] * 4, [["X", "Y"]] * 4)
    assert tagger.auto_settings_ == {}


def test_a_text_regressor_pickled_before_auto_settings_unpickles_with_max_pooling(monkeypatch):
    texts, y = COUNTED_TEXTS, WORD_COUNTS
    then = {**RNNRegressor._auto_by_input, "pooling": ("mean", "max")}
    with monkeypatch.context() as patch:
        patch.setattr(RNNRegressor, "_auto_by_input", then)
        old = RNNRegressor(hidden_size=4, max_epochs=3, random_state=0).fit(texts, y)
    state = old.__getstate__()
    del state["auto_settings_"]  # as the code before it pickled
    restored = RNNRegressor.__new__(RNNRegressor)
    restored.__setstate__(state)
    assert restored.auto_settings_["pooling"] == "max" == restored.net_.module_.pooling
    np.testing.assert_array_equal(restored.predict(texts), old.predict(texts))


def test_tagger_embeds_tokens_in_auto_dimensions():
    X, y = [["a", "dog", "sleeps"], ["a", "cat"]] * 3, [["D", "N", "V"], ["D", "N"]] * 3
    for embedding_dim, size in (("auto", AUTO_EMBEDDING_DIM), (None, DEFAULT_EMBEDDING_DIM)):
        tagger = RNNTagger(embedding_dim=embedding_dim, hidden_size=4, max_epochs=1).fit(X, y)
        assert tagger.net_.module_.encoder.embedding.embedding_dim == size
    assert RNNTagger().embedding_dim == "auto"


def _mean_of_first_feature(n, rng, noise):
    X = [rng.normal(size=(int(rng.integers(5, 15)), 2)).astype(np.float32) for _ in range(n)]
    return X, np.array([x[:, 0].mean() for x in X]) + rng.normal(scale=noise, size=n)


def test_regressor_shrinks_noise_to_the_mean_and_keeps_a_signal():
    rng = np.random.default_rng(0)
    small = dict(hidden_size=8, max_epochs=20, conv_channels=None, random_state=0)
    # Targets the inputs say nothing about: out of fold, the network's spread is noise.
    X, _ = _mean_of_first_feature(90, rng, 0.0)
    noise = rng.normal(size=90) * 10 + 100
    shrunk = RNNRegressor(**small).fit(X, noise)
    raw = RNNRegressor(shrink_to_mean=False, **small).fit(X, noise)
    assert shrunk.shrinkage_[0] < 0.3 and raw.shrinkage_[0] == 1.0
    X_new, _ = _mean_of_first_feature(200, rng, 0.0)
    new_noise = rng.normal(size=200) * 10 + 100
    rmse = lambda model: np.sqrt(np.mean((model.predict(X_new) - new_noise) ** 2))  # noqa: E731
    assert rmse(shrunk) < rmse(raw)
    assert rmse(shrunk) <= 1.05 * np.sqrt(np.mean((noise.mean() - new_noise) ** 2))
    # A target the inputs carry keeps most of its spread.
    X, y = _mean_of_first_feature(150, rng, 0.05)
    signal = RNNRegressor(**dict(small, max_epochs=40)).fit(X, y)
    assert signal.shrinkage_[0] > 0.7


def test_shrinkage_is_reproducible_saved_and_left_alone_by_partial_fit(tmp_path):
    rng = np.random.default_rng(1)
    X, y = _mean_of_first_feature(60, rng, 1.0)
    params = dict(hidden_size=4, max_epochs=5, conv_channels=None, random_state=0)
    first = RNNRegressor(**params).fit(X, y)
    np.testing.assert_array_equal(RNNRegressor(**params).fit(X, y).shrinkage_, first.shrinkage_)
    assert 0 <= first.shrinkage_[0] < 1
    first.save(tmp_path / "model.skrnn")
    loaded = sk_rnn.load(tmp_path / "model.skrnn")
    np.testing.assert_array_equal(loaded.shrinkage_, first.shrinkage_)
    np.testing.assert_allclose(loaded.predict(X), first.predict(X), rtol=1e-6)
    streamed = RNNRegressor(**params).partial_fit(X, y)
    np.testing.assert_array_equal(streamed.shrinkage_, [1.0])
    # 1,000 sequences or more: off under "auto".
    many_X, many_y = _mean_of_first_feature(1000, rng, 1.0)
    big = RNNRegressor(**dict(params, max_epochs=1)).fit(many_X, many_y)
    np.testing.assert_array_equal(big.shrinkage_, [1.0])
