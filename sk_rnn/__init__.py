"""sk_rnn: recurrent neural networks as scikit-learn estimators.

The estimators are imported on first use (``from sk_rnn import RNNClassifier`` works as
usual), so that ``sk_rnn.runtime`` runs a deployed model without torch or scikit-learn.
"""

from ._lazy import lazy_exports
from ._version import __version__

_EXPORTS = {
    "RNNClassifier": "._classifier",
    "RNNForecaster": ".forecasting",
    "RNNLanguageModel": "._language_model",
    "RNNRegressor": "._regressor",
    "RNNSeq2Seq": "._seq2seq",
    "RNNTagger": "._tagger",
    "SequenceScaler": "._preprocessing",
    "SequenceTable": "._tables",
    "TimedSequences": "._tables",
    "SequenceVectorizer": "._text",
    "TokenIds": "._text",
    "load": "._saving.persistence",
    "plot_history": ".plotting",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [*_EXPORTS, "__version__"]
