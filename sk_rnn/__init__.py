"""sk_rnn: recurrent neural networks as scikit-learn estimators."""

from ._classifier import RNNClassifier
from ._language_model import RNNLanguageModel
from ._persistence import load
from ._preprocessing import SequenceScaler
from ._regressor import RNNRegressor
from ._seq2seq import RNNSeq2Seq
from ._tagger import RNNTagger
from ._text import SequenceVectorizer, TokenIds
from ._version import __version__
from .forecasting import RNNForecaster
from .plotting import plot_history

__all__ = [
    "RNNClassifier",
    "RNNForecaster",
    "RNNLanguageModel",
    "RNNRegressor",
    "RNNSeq2Seq",
    "RNNTagger",
    "SequenceScaler",
    "SequenceVectorizer",
    "TokenIds",
    "load",
    "plot_history",
    "__version__",
]
