"""scikit-learn's common estimator checks, for every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sk_rnn import RNNClassifier, RNNRegressor

# Small and quick, yet able to pass the checks' accuracy and R^2 thresholds.
FAST = dict(hidden_size=16, max_epochs=40, lr=0.02, random_state=0)

ESTIMATORS = [
    RNNClassifier(**FAST),
    RNNRegressor(**FAST),
    RNNClassifier(cell="gru", bidirectional=True, pooling="mean", **FAST),
]

# A 2-D X holds one univariate sequence per row, so n_features_in_ counts features per
# step (1), and a row of another length is a valid sequence, not a wrong feature count.
UNIVARIATE_ROWS = (
    "2-D X is one univariate sequence per row: n_features_in_ is 1 (features per step) "
    "and rows of another length are valid sequences"
)
FLOAT32_BATCHES = (
    "outputs are float32: a sample's outputs differ by ~1e-7 between batch sizes (BLAS "
    "blocking), above this check's rtol=1e-7; test_base.py checks invariance at float32 tolerance"
)
PREDICT_OTHER_WIDTH = (
    "fails only where it predicts on X[:, :-1], which are valid shorter univariate "
    "sequences; the accuracy part is run in tests/test_base.py"
)


def expected_failed_checks(estimator):
    failures = {
        "check_n_features_in": UNIVARIATE_ROWS,
        "check_n_features_in_after_fitting": UNIVARIATE_ROWS,
        "check_estimators_partial_fit_n_features": UNIVARIATE_ROWS,
        "check_methods_subset_invariance": FLOAT32_BATCHES,
    }
    if isinstance(estimator, RNNClassifier):
        failures["check_classifiers_train"] = PREDICT_OTHER_WIDTH
    return failures


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
