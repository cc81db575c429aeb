"""scikit-learn's common estimator checks, for every public estimator.

Expected failures are strict (``xfail_strict`` in pyproject.toml): each listed check must
really fail, so the list cannot hide a check that would pass, or one that regressed for
another reason than the one given.
"""

import numpy as np
from sklearn.base import clone
from sklearn.utils.estimator_checks import _apply_on_subsets, parametrize_with_checks

from sk_rnn import (
    RNNClassifier,
    RNNForecaster,
    RNNLanguageModel,
    RNNRegressor,
    RNNSeq2Seq,
    RNNTagger,
    SequenceScaler,
    SequenceVectorizer,
)
from sk_rnn._validation import check_sequences

# Small and quick, yet able to pass the checks' accuracy and R^2 thresholds.
FAST = dict(hidden_size=16, max_epochs=40, lr=0.02, random_state=0)


class TaggerOnSampleLabels(RNNTagger):
    """RNNTagger as the common checks see it: they pass one label per sample, so each
    sample's label goes to every one of its steps, and a sequence's prediction is the
    label (probabilities) of its last step. Everything else is RNNTagger's own code."""

    def fit(self, X, y, sample_weight=None):
        return super().fit(X, _label_every_step(X, y), sample_weight)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        return super().partial_fit(X, _label_every_step(X, y), classes, sample_weight)

    def predict(self, X):
        return np.array([labels[-1] for labels in super().predict(X)])

    def predict_proba(self, X):
        return np.array([proba[-1] for proba in super().predict_proba(X)])

    def score(self, X, y, sample_weight=None):
        return float(np.average(self.predict(X) == np.asarray(y), weights=sample_weight))


class Seq2SeqOnSampleLabels(RNNSeq2Seq):
    """RNNSeq2Seq as the common checks see it: each sample's label becomes a one-token
    target sequence, and the prediction is the first token decoded. Everything else is
    RNNSeq2Seq's own code (the checks' labels are numbers)."""

    def fit(self, X, y, sample_weight=None):
        return super().fit(X, _one_token_targets(y), sample_weight)

    def partial_fit(self, X, y, sample_weight=None):
        return super().partial_fit(X, _one_token_targets(y), sample_weight)

    def predict(self, X):
        return np.array([float(tokens[0]) if tokens else np.nan for tokens in super().predict(X)])

    def score(self, X, y, sample_weight=None):
        return super().score(X, [[str(label)] for label in np.asarray(y)], sample_weight)

    def score_samples(self, X):
        return super().score_samples(X, super().predict(X))


def _one_token_targets(y):
    return None if y is None else [[str(label)] for label in np.asarray(y)]


def _label_every_step(X, y):
    if y is None:
        return None
    lengths = check_sequences(X, allow_nan=True).lengths
    return [[label] * n for label, n in zip(np.asarray(y), lengths, strict=False)]


# The convolution branch, narrower than its default of 64 channels: the checks fit
# hundreds of times.
NARROW = dict(conv_channels=8)

ESTIMATORS = [
    RNNClassifier(**NARROW, **FAST),
    RNNRegressor(**NARROW, **FAST),
    RNNTagger(**FAST),
    TaggerOnSampleLabels(crf=True, **FAST),
    RNNSeq2Seq(**FAST),
    Seq2SeqOnSampleLabels(**FAST),
    # Text only, like scikit-learn's CountVectorizer: the checks that feed 2-D numeric
    # arrays do not apply; tests/test_language_model.py runs the API checks below on it.
    RNNLanguageModel(**FAST),
    SequenceVectorizer(),
    SequenceScaler(),
    SequenceScaler(per_sequence=True),
    RNNForecaster(
        window=2, horizon=1, regressor=RNNRegressor(hidden_size=4, max_epochs=2), random_state=0
    ),
]

# A 2-D X holds one univariate sequence per row, so n_features_in_ counts features per
# step (1), and a row of another length is a valid sequence, not a wrong feature count.
UNIVARIATE_ROWS = (
    "2-D X is one univariate sequence per row: n_features_in_ is 1 (features per step) "
    "and rows of another length are valid sequences"
)
PREDICT_OTHER_WIDTH = (
    "fails only where it predicts on X[:, :-1], which are valid shorter univariate "
    "sequences; the accuracy part is run in tests/test_base.py"
)
ONE_LABEL_PER_SAMPLE = (
    "the check fits with one label per sample, RNNTagger needs one per step (and says so); "
    "TaggerOnSampleLabels runs this check on RNNTagger's code"
)
ONE_TARGET_PER_SAMPLE = (
    "the check fits with one number per sample, RNNSeq2Seq needs a target sequence (and "
    "says so); Seq2SeqOnSampleLabels runs this check on RNNSeq2Seq's code"
)
SERIES_ROWS = (
    "X is one time series, its rows are time steps: predict(X) forecasts len(X) steps "
    "after the training series, so row i's forecast depends on its position"
)
SERIES_1D = "a 1-D X is a univariate series, which RNNForecaster takes"
FUTURE_TARGET_UNKNOWN = (
    "predict reads only the covariate columns of X: the target column of future steps may "
    "be unknown (NaN); NaN in covariates is refused"
)
STOCHASTIC_TRAINING = (
    "minibatch training: repeated samples change the batches and the dropout masks, so "
    "weights equal repetition only in expectation (scikit-learn xfails this check for "
    "SGDClassifier the same way); tests/test_task_shapes.py checks it exactly on a full "
    "batch without dropout"
)
# The checks that fit on y of shape (n_samples,).
FITS_WITH_SAMPLE_LABELS = (
    "check_fit_score_takes_y",
    "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters",
    "check_estimators_fit_returns_self",
    "check_readonly_memmap_input",
    "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit",
    "check_estimators_dtypes",
    "check_dtype_object",
    "check_pipeline_consistency",
    "check_estimators_nan_inf",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_fit2d_1sample",
    "check_fit2d_1feature",
    "check_dict_unchanged",
    "check_fit_idempotent",
    "check_fit_check_is_fitted",
    "check_n_features_in",
    "check_fit2d_predict1d",
    "check_sample_weights_pandas_series",
    "check_sample_weights_not_an_array",
    "check_sample_weights_list",
    "check_sample_weights_shape",
    "check_sample_weights_not_overwritten",
)


def expected_failed_checks(estimator):
    failures = {
        "check_n_features_in": UNIVARIATE_ROWS,
        "check_n_features_in_after_fitting": UNIVARIATE_ROWS,
        "check_estimators_partial_fit_n_features": UNIVARIATE_ROWS,
    }
    if isinstance(estimator, RNNClassifier | RNNRegressor | RNNTagger | RNNSeq2Seq):
        failures["check_sample_weight_equivalence_on_dense_data"] = STOCHASTIC_TRAINING
    if isinstance(estimator, RNNClassifier):
        failures["check_classifiers_train"] = PREDICT_OTHER_WIDTH
    if type(estimator) is RNNTagger:
        failures.update(dict.fromkeys(FITS_WITH_SAMPLE_LABELS, ONE_LABEL_PER_SAMPLE))
    if type(estimator) is RNNSeq2Seq:
        failures.update(dict.fromkeys(FITS_WITH_SAMPLE_LABELS, ONE_TARGET_PER_SAMPLE))
    if isinstance(estimator, RNNClassifier | RNNRegressor):  # transform: embeddings
        failures["check_transformer_general"] = UNIVARIATE_ROWS
    if isinstance(estimator, SequenceScaler):
        failures["check_transformer_general"] = UNIVARIATE_ROWS
        failures["check_transformer_data_not_an_array"] = UNIVARIATE_ROWS
    if isinstance(estimator, RNNForecaster):
        failures = {
            "check_methods_sample_order_invariance": SERIES_ROWS,
            "check_methods_subset_invariance": SERIES_ROWS,
            "check_fit1d": SERIES_1D,
            "check_fit2d_predict1d": SERIES_1D,
            "check_estimators_nan_inf": FUTURE_TARGET_UNKNOWN,
            "check_sample_weight_equivalence_on_dense_data": (
                "rows are time steps: repeating a row changes the series itself, which "
                "a weight (on the windows predicting that step) does not"
            ),
        }
    return failures


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    if _check_name(check) == "check_methods_subset_invariance":
        check = check_methods_subset_invariance_at_float32
    check(estimator)


def _check_name(check) -> str:
    return getattr(check, "func", check).__name__


def check_methods_subset_invariance_at_float32(estimator):
    """scikit-learn's check_methods_subset_invariance at float32 tolerance.

    The networks compute in float32, and a sample's outputs may differ by ~1e-7 between
    batches of different sizes (BLAS blocking), which scikit-learn's absolute tolerance
    of 1e-7 does not allow; everything else is the same check.
    """
    rng = np.random.RandomState(0)
    X = 3 * rng.uniform(size=(20, 3))
    y = X[:, 0].astype(int)
    if isinstance(estimator, RNNRegressor):
        y = y.astype(float)
    estimator = clone(estimator).fit(X, y)
    for method in ["predict", "transform", "decision_function", "score_samples", "predict_proba"]:
        if hasattr(estimator, method):
            full, by_batch = _apply_on_subsets(getattr(estimator, method), X)
            np.testing.assert_allclose(
                full, by_batch, rtol=1e-5, atol=1e-6, err_msg=f"{method} depends on batch mates"
            )
