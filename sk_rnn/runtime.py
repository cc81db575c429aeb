"""Run an exported model with numpy and onnxruntime alone.

:meth:`RNNClassifier.to_onnx <sk_rnn.RNNClassifier.to_onnx>` (and the regressor's,
tagger's and forecaster's) writes one ``.onnx`` file: the network as a graph, and in its
metadata everything ``predict`` does around it. :func:`load` reads it back as an object
with the estimator's prediction methods, taking the same inputs (a list of arrays, a 2-D
or 3-D array or DataFrame, strings or token lists; series for the forecaster) and giving
the same outputs. It imports neither torch nor scikit-learn nor skorch: a service, a batch
job or a small device needs ``pip install numpy onnxruntime`` and this package's source.

>>> from sk_rnn import runtime                         # doctest: +SKIP
>>> model = runtime.load("classifier.onnx")            # doctest: +SKIP
>>> model.predict(["a great film", "dull"])            # doctest: +SKIP
array(['pos', 'neg'], dtype='<U3')
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ._crf_numpy import log_softmax, marginals, step_mask, viterbi
from ._gaps import numeric_model_steps
from ._saving import onnx_format as schema
from ._saving.onnx_format import FORMAT_VERSION, HEADER_KEY, check_header, decode_array
from ._scaling import in_target_units
from ._sequences import Sequences, sequence_steps, truncate_sequences
from ._token_features import AFFIXES, token_feature_columns, with_token_features
from ._tokenizing import TOKENIZERS, check_not_empty, token_ids, tokenize_texts
from ._tokens import SPECIAL_TOKENS
from ._validation import check_sequences, positional
from .forecasting._header import check_forecaster_header
from .forecasting._intervals import IntervalsMixin
from .forecasting._layout import SeriesLayoutMixin
from .forecasting._recursion import ForecastingMixin
from .forecasting._static import StaticCovariatesMixin
from .forecasting._windows import WindowEncodingMixin

__all__ = ["Classifier", "Forecaster", "Regressor", "Tagger", "load"]


def load(path, *, providers=None):
    """Load a model exported with ``to_onnx``.

    Parameters
    ----------
    path : str or path-like
    providers : list of str, default=None
        onnxruntime execution providers; None means ``["CPUExecutionProvider"]``.

    Returns
    -------
    model : Classifier, Regressor, Tagger or Forecaster
        The runtime counterpart of the exported estimator.
    """
    try:
        import onnxruntime
    except ImportError:
        raise ImportError(
            "sk_rnn.runtime needs onnxruntime: pip install onnxruntime (or 'sk_rnn[onnx]')."
        ) from None
    if not Path(path).is_file():
        raise FileNotFoundError(f"No exported model file at {path}.")
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: the graph's unused-initializer notes are not
    try:
        session = onnxruntime.InferenceSession(
            str(Path(path)), options, providers=providers or ["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime's own errors (InvalidProtobuf, NoSuchFile, Fail)
        raise ValueError(f"{path} is not a readable ONNX file: {exc}") from None
    metadata = session.get_modelmeta().custom_metadata_map
    if HEADER_KEY not in metadata:
        raise ValueError(f"{path} is an ONNX file, but not one written by sk_rnn's to_onnx.")
    try:
        header = json.loads(metadata[HEADER_KEY])
    except ValueError as exc:
        raise ValueError(f"{path} has a header that is not JSON: {exc}") from None
    version = header.get("format_version") if isinstance(header, dict) else None
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise ValueError(
            f"{path} was written in format version {version} (by sk_rnn "
            f"{header.get('sk_rnn_version')}); this runtime reads versions up to "
            f"{FORMAT_VERSION}. Upgrade sk_rnn where the model runs."
        )
    try:
        graph = _graph_sizes(session)
        check_header(
            header,
            graph,
            estimators=tuple(_RUNTIMES),
            tokenizers=TOKENIZERS,
            reserved_tokens=SPECIAL_TOKENS,
            affixes=tuple(AFFIXES),
        )
        runtime = _RUNTIMES[header["estimator"]]
        runtime.check_header(header, graph)
        return runtime(_Network(session, header, path), header)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ValueError(f"{path} is not a valid sk_rnn ONNX file: {exc}") from None


def _graph_sizes(session) -> dict:
    """The graph's fixed sizes: the last dimension of its input ``x`` and of its output
    (None where dynamic), which the header's sizes must match."""

    def last(node):
        size = node.shape[-1] if node.shape else None
        return size if isinstance(size, int) else None

    return {
        "input": last(session.get_inputs()[0]),
        "input_rank": len(session.get_inputs()[0].shape),
        "output": last(session.get_outputs()[0]),
    }


# -- the network ---------------------------------------------------------------------------


class _Network:
    """The graph and the input encoding around it: from what a user passes as ``X`` to
    padded batches (as the estimator encodes them), and the graph's outputs back in the
    order of ``X``."""

    def __init__(self, session, header: dict, path=None):
        self.session = session
        self.path = path
        # A unidirectional encoder without pooling never reads the lengths: the exporter
        # then leaves that input out of the graph.
        self.reads_lengths = "lengths" in {i.name for i in session.get_inputs()}
        self.batch_size = header["batch_size"]
        self.input = dict(header["input"])
        for name in ("mean", "scale", "fill"):
            if name in self.input:
                self.input[name] = decode_array(self.input[name])
        if self.input["kind"] == "text":
            self.vocabulary = {token: i for i, token in enumerate(self.input["vocabulary"])}

    def encode(self, X) -> Sequences:
        """``X`` validated and encoded as the fitted estimator encodes it for prediction."""
        spec = self.input
        X = positional(X)
        if spec["kind"] == "numeric":
            gaps = spec.get("gaps")  # files of format version 1 have none
            sequences = check_sequences(
                X, n_features=spec["n_features"], allow_nan=gaps is not None
            )
            sequences = truncate_sequences(sequences, spec["max_length"], spec["keep"])
            return numeric_model_steps(
                sequences,
                scaling=spec["scaling"],
                mean=spec["mean"],
                scale=spec["scale"],
                frame_size=spec["frame_size"],
                gaps=gaps,
                fill=spec.get("fill"),
                with_gap_channels=spec.get("gap_channels", True),  # versions 1 and 2: True
            )
        if not len(X) or not all(isinstance(x, str | list | tuple) for x in X):
            raise TypeError(
                "This model was fitted on text: pass a list of strings or of token lists."
            )
        tokens = check_not_empty(tokenize_texts(X, spec["tokenizer"], spec["lowercase"]))
        features = token_feature_columns(
            tokens, spec["affix_vocabularies"], spec["character_vocabulary"]
        )
        words = with_token_features(token_ids(tokens, self.vocabulary), features)
        return truncate_sequences(words, spec["max_length"], spec["keep"])

    def run(self, X):
        """Yield ``(samples, outputs, lengths)`` per batch: the positions in ``X`` of the
        batch's sequences, the graph's outputs and the sequences' lengths in model steps.
        Batches hold sequences of similar lengths, padded to their own longest."""
        sequences = self.encode(X)
        order = np.argsort(sequences.lengths, kind="stable")
        for start in range(0, len(order), self.batch_size):
            samples = order[start : start + self.batch_size]
            x, lengths = _padded(sequences, samples)
            feed = {"x": x, "lengths": lengths} if self.reads_lengths else {"x": x}
            try:
                (outputs,) = self.session.run(None, feed)
            except Exception as exc:  # onnxruntime's errors: the header and graph disagree
                raise ValueError(
                    f"The network of {self.path} refused its input ({exc}); the file's "
                    "header does not describe its graph."
                ) from None
            yield samples, outputs, lengths

    def rows(self, X) -> np.ndarray:
        """The graph's outputs, one row per sample of ``X``, in its order."""
        parts = list(self.run(X))
        rows = np.empty((sum(len(s) for s, _, _ in parts), *parts[0][1].shape[1:]), np.float32)
        for samples, outputs, _ in parts:
            rows[samples] = outputs
        return rows

    def steps(self, X, per_batch=lambda outputs, lengths: outputs) -> list[np.ndarray]:
        """Per-step outputs (after ``per_batch``), one array per sample of ``X`` cut to
        its length."""
        out = [None] * len(positional(X))
        for samples, outputs, lengths in self.run(X):
            for sample, values, n in zip(
                samples, per_batch(outputs, lengths), lengths, strict=True
            ):
                out[sample] = values[:n]
        return out


def _padded(sequences: Sequences, samples: np.ndarray):
    """The ``samples`` of ``sequences`` right-padded with zeros, and their lengths."""
    lengths = sequences.lengths[samples].astype(np.int64)
    values = sequences.values
    dtype = np.float32 if values.dtype.kind == "f" else np.int64
    x = np.zeros((len(samples), int(lengths.max()), *values.shape[1:]), dtype)
    row, step = sequence_steps(lengths)
    x[row, step] = values[np.repeat(sequences.offsets[samples], lengths) + step]
    return x, lengths


# -- the estimators ------------------------------------------------------------------------


_RUNTIMES: dict[str, type] = {}  # the estimator name a file's header gives -> its runtime


class _Runtime:
    """What every runtime model has: its network and the file's header (``header``).

    A runtime class names the estimator whose files it reads (``reads``), and is found
    by that name: the estimator's ``_onnx_runtime`` hook names the class back."""

    reads: str | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.reads is not None:
            _RUNTIMES[cls.reads] = cls

    @classmethod
    def check_header(cls, header: dict, graph: dict) -> None:
        """Check the header's entries of this kind of model (after the common ones,
        ``check_header`` of ``sk_rnn._saving.onnx_format``); a ValueError names the
        field."""

    def __init__(self, network: _Network, header: dict):
        self._network = network
        self.header = header

    def __repr__(self):
        return f"sk_rnn.runtime.{type(self).__name__}(exported {self.header['estimator']})"

    @property
    def input_gaps_(self):
        """How gaps (NaN) in numeric input are imputed, as the estimator's
        ``input_gaps_``; None: the model refuses NaN."""
        return self._network.input.get("gaps")


class _Labelling(_Runtime):
    """A runtime model that predicts labels (``classes_``)."""

    @classmethod
    def check_header(cls, header, graph):
        classes = schema.field_array(header, "classes", kinds="biufU")
        if len(classes) < 2 or not np.array_equal(np.unique(classes), classes):
            raise ValueError("header field 'classes' must be 2 or more distinct sorted labels")
        if graph["output"] not in (None, len(classes)):
            raise ValueError(
                f"header field 'classes' has {len(classes)} labels for the graph's "
                f"{graph['output']} outputs"
            )

    def __init__(self, network, header):
        super().__init__(network, header)
        self.classes_ = decode_array(header["classes"])


class Classifier(_Labelling):
    """An exported :class:`~sk_rnn.RNNClassifier` (from :func:`load`).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    header : dict
        The file's header: what ``predict`` does around the network.
    """

    reads = "RNNClassifier"

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order."""
        return np.exp(self.predict_log_proba(X))

    def predict_log_proba(self, X) -> np.ndarray:
        """Natural-log class probabilities, shape (n_samples, n_classes)."""
        return log_softmax(self._network.rows(X).astype(np.float64), axis=1)

    def predict(self, X) -> np.ndarray:
        """Predicted class label of each sequence."""
        return self.classes_[self._network.rows(X).argmax(axis=1)]


class Regressor(_Runtime):
    """An exported :class:`~sk_rnn.RNNRegressor` (from :func:`load`).

    Attributes
    ----------
    per_step : bool
        Whether it predicts a value at every step.
    header : dict
        The file's header: what ``predict`` does around the network.
    """

    reads = "RNNRegressor"

    @classmethod
    def check_header(cls, header, graph):
        schema.field_bool(header, "per_step")
        single = schema.field_bool(header, "single_output")
        n = graph["output"]
        mean = schema.field_array(header, "target_mean", shape=(n,))
        shape = (len(mean),)
        schema.field_array(header, "target_scale", shape=shape, positive=True)
        shrinkage = schema.field_array(header, "shrinkage", shape=shape)
        if ((shrinkage < 0) | (shrinkage > 1)).any():
            raise ValueError("header field 'shrinkage' holds factors outside [0, 1]")
        if single and len(mean) != 1:
            raise ValueError("header field 'single_output' is true for several outputs")

    def __init__(self, network, header):
        super().__init__(network, header)
        self.per_step = header["per_step"]
        self._scaling = tuple(
            decode_array(header[name]) for name in ("target_mean", "target_scale", "shrinkage")
        )

    def predict(self, X):
        """Predicted targets, in the units of ``y`` (with ``per_step``, a list with one
        array per sequence)."""
        if self.per_step:
            return [self._in_units(s) for s in self._network.steps(X)]
        return self._in_units(self._network.rows(X))

    def _in_units(self, outputs):
        return in_target_units(outputs, *self._scaling, self.header["single_output"])


class Tagger(_Labelling):
    """An exported :class:`~sk_rnn.RNNTagger` (from :func:`load`); Viterbi decoding and
    the CRF's marginals run in numpy.

    Attributes
    ----------
    classes_ : ndarray of shape (n_labels,)
    header : dict
        The file's header: what ``predict`` does around the network.
    """

    reads = "RNNTagger"

    @classmethod
    def check_header(cls, header, graph):
        super().check_header(header, graph)
        crf = schema.field_dict(header, "crf", optional=True)
        if crf is not None:
            n = len(decode_array(header["classes"]))
            for part, shape in (("start", (n,)), ("transitions", (n, n)), ("end", (n,))):
                schema.field_array(crf, part, "crf.", ndim=len(shape), shape=shape)

    def __init__(self, network, header):
        super().__init__(network, header)
        crf = header["crf"]
        self._crf = None if crf is None else {k: decode_array(v) for k, v in crf.items()}

    def predict(self, X) -> list[np.ndarray]:
        """Predicted labels: a list with one array per sequence, as long as the sequence."""
        ids = self._network.steps(X, self._best_labels)
        return [self.classes_[i] for i in ids]

    def predict_proba(self, X) -> list[np.ndarray]:
        """Per-step label probabilities (the CRF's marginals with a CRF), one
        ``(n_steps_i, n_labels)`` array per sequence."""
        return self._network.steps(X, self._label_probabilities)

    def _best_labels(self, emissions, lengths):
        if self._crf is None:
            return emissions.argmax(2)
        return viterbi(emissions, step_mask(lengths, emissions.shape[1]), **self._crf)

    def _label_probabilities(self, emissions, lengths):
        emissions = emissions.astype(np.float64)
        if self._crf is None:
            return np.exp(log_softmax(emissions, axis=2))
        crf = {k: v.astype(np.float64) for k, v in self._crf.items()}
        return marginals(emissions, step_mask(lengths, emissions.shape[1]), **crf)


class Forecaster(
    SeriesLayoutMixin,
    WindowEncodingMixin,
    ForecastingMixin,
    StaticCovariatesMixin,
    IntervalsMixin,
    _Runtime,
):
    """An exported :class:`~sk_rnn.RNNForecaster` (from :func:`load`), with its series as
    they were at export (``update`` is the estimator's: export again after it).

    Attributes
    ----------
    horizon : int
    window_ : int
    header : dict
        The file's header: what ``predict`` does around the network.
    """

    reads = "RNNForecaster"

    @classmethod
    def check_header(cls, header, graph):
        Regressor.check_header(header, graph)
        check_forecaster_header(header, graph)

    def __init__(self, network, header):
        super().__init__(network, header)
        spec = header["forecaster"]
        self.regressor_ = Regressor(network, header)
        self.horizon, self.window_, self.scaling = spec["horizon"], spec["window"], spec["scaling"]
        # Format 4 on; before it, no season and every window scaled by its own steps.
        recent = header["format_version"] >= 4
        self.season_length_ = spec["season_length"] if recent else 1
        self.scale_steps_ = spec["scale_steps"] if recent else 1
        self.log, self.difference = spec["log"], spec["difference"]
        self.series_id, self.many_series_ = spec["series_id"], spec["many_series"]
        self.series_ids_ = decode_array(spec["series_ids"])
        self.n_features_in_, self.n_covariates_ = spec["n_features_in"], spec["n_covariates"]
        statistics = ("target_mean", "target_scale", "covariate_mean", "covariate_scale")
        for name in statistics:
            setattr(self, f"{name}_", decode_array(spec[name]))
        for name in ("static", "static_mean", "static_scale"):  # format 3 on
            setattr(self, f"{name}_", decode_array(spec.get(name)))
        self.interval_errors_ = decode_array(spec["interval_errors"])
        tables = [decode_array(t) for t in spec["series"]]
        self.series_ = tables if self.many_series_ else tables[0]

    def forecast(self, steps: int, exog=None) -> np.ndarray:
        """The next ``steps`` values after the series (as :meth:`RNNForecaster.forecast`)."""
        return self._forecast(steps, exog)

    def predict(self, X):
        """Forecast ``len(X)`` steps after the series (as :meth:`RNNForecaster.predict`)."""
        return self._predict(X)

    def predict_interval(self, X, coverage=0.9):
        """Conformal intervals (as :meth:`RNNForecaster.predict_interval`)."""
        return self._predict_interval(X, coverage)
