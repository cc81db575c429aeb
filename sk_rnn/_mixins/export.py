"""ONNX export: a fitted model as one ``.onnx`` file that :mod:`sk_rnn.runtime` runs with
numpy and onnxruntime alone.

The graph is the fitted torch module itself, from padded ids or vectors and the lengths
to the network's outputs, with dynamic batch and time dimensions. It is traced with
torch's TorchScript exporter (``dynamo=False``): the dynamo exporter freezes the time
dimension of recurrent layers (torch #126339), and packed sequences do not export (torch
#49936), so the graph reads right-padded batches exactly as training does (the backward
direction of a bidirectional layer starts at each sequence's own last step). Everything
around the network (input scaling and framing, tokenizer and vocabulary, labels, target
scaling, the CRF's transitions, the forecaster's windows and series) goes in a JSON
header in the file's metadata (key ``"sk_rnn"``).
"""

from __future__ import annotations

import copy
import io
import json
import warnings
from pathlib import Path

import torch
from sklearn.utils.validation import check_is_fitted

from .._parameters import parameter_value
from .._saving.onnx_format import FORMAT, FORMAT_VERSION, HEADER_KEY, encode_array
from .._saving.persistence import target_file, write_atomically
from .._version import __version__

__all__ = ["OnnxExportMixin", "export_onnx"]

ONNX_OPSET = 17
_NOT_EXPORTABLE = (
    "{name} cannot be exported to ONNX: export covers RNNClassifier, RNNRegressor, RNNTagger "
    "and RNNForecaster (the language model's generation and seq2seq's decoding loop are not "
    "in a graph, and a subclass may compute what the runtime does not reproduce)."
)


class OnnxExportMixin:
    """``to_onnx`` for the estimators (see :func:`export_onnx`), and the hooks through
    which an estimator describes its file.

    An estimator is exportable when its own class (not a parent) names the runtime class
    that reads its file (``_onnx_runtime``, a class of :mod:`sk_rnn.runtime`); it then
    gives what that runtime needs besides the input encoding (``_onnx_header``), and the
    network estimator whose module is the graph (``_onnx_network``; itself, or the
    forecaster's regressor).
    """

    _onnx_runtime: str | None = None

    def _onnx_header(self) -> dict:
        """The header entries of this estimator, beyond the input encoding and batch size."""
        return {}

    def _onnx_network(self):
        """The fitted network estimator whose torch module becomes the graph."""
        return self

    def to_onnx(self, path) -> Path:
        """Export the fitted model to an ONNX file that :func:`sk_rnn.runtime.load` runs
        without torch, scikit-learn or sk_rnn's estimators.

        The file holds the network (dynamic batch size and sequence length) and, in its
        metadata, everything ``predict`` does around it. Covered: :class:`RNNClassifier`,
        :class:`RNNRegressor` (``per_step`` too), :class:`RNNTagger` and
        :class:`RNNForecaster`, every cell, direction and pooling, numeric and text input
        with the built-in tokenizers. Needs the ``onnx`` package (``pip install
        sk_rnn[onnx]``).

        Parameters
        ----------
        path : str or path-like
            Where to write the file; it is written whole or not at all (through a
            temporary file renamed into place, as ``save`` does).

        Returns
        -------
        path : Path

        Raises
        ------
        TypeError
            For an estimator that cannot be exported (the language model, seq2seq, a
            subclass with its own module, a forecaster with a user's regressor).
        ValueError
            For a configuration the runtime cannot reproduce (a callable tokenizer).
        """
        return export_onnx(self, path)


def export_onnx(model, path) -> Path:
    """Write ``model`` (fitted) to ``path`` as ONNX with its header (see the module docs)."""
    cls = type(model)
    if vars(cls).get("_onnx_runtime") is None:
        raise TypeError(_NOT_EXPORTABLE.format(name=cls.__name__))
    check_is_fitted(model)
    network = model._onnx_network()
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "sk_rnn_version": __version__,
        "estimator": cls.__name__,
        "input": _input_header(network),
        "batch_size": int(network.batch_size),
        **model._onnx_header(),
    }
    target = target_file(path)  # checked before the (slow) tracing
    write_atomically(target, _with_header(_traced_graph(network), header), path)
    return Path(path)


# -- the header ----------------------------------------------------------------------------


def _input_header(model) -> dict:
    truncation = {
        "max_length": parameter_value(model, "max_length"),
        "keep": parameter_value(model, "keep"),
    }
    vectorizer = model.vectorizer_
    if getattr(model, "input_time_scale_", None) is not None:
        raise ValueError(
            "This model reads the time between steps (input_time_scale_="
            f"{model.input_time_scale_!r}); the runtime takes sequences without their "
            "times, so it cannot be exported. Predict with the estimator, or save it "
            "with save()."
        )
    if vectorizer is None:
        return {
            "kind": "numeric",
            "n_features": int(model.n_features_in_),
            "scaling": model.input_scaling_,
            "mean": encode_array(model.input_mean_),
            "scale": encode_array(model.input_scale_),
            "frame_size": int(model.frame_size_),
            "gaps": model.input_gaps_,
            "fill": encode_array(model.input_fill_),
            "gap_channels": bool(model.input_gap_channels_),
            **truncation,
        }
    if callable(vectorizer.tokenizer):
        raise ValueError(
            f"tokenizer is a callable ({getattr(vectorizer.tokenizer, '__name__', '?')}), "
            "which cannot be exported: the runtime has the built-in tokenizers only "
            "('word', 'word_layout', 'char', 'whitespace'). Fit with one of them, or pass "
            "token lists that you split yourself (to the runtime as well)."
        )
    return {
        "kind": "text",
        "tokenizer": vectorizer.tokenizer,
        "lowercase": bool(vectorizer.lowercase),
        "vocabulary": vectorizer.get_feature_names_out().tolist(),
        "affix_vocabularies": getattr(model, "affix_vocabularies_", None),
        "character_vocabulary": getattr(model, "character_vocabulary_", None),
        **truncation,
    }


# -- the graph -----------------------------------------------------------------------------


def _traced_graph(model) -> bytes:
    """The model's torch module as ONNX bytes: inputs ``x`` (padded) and ``lengths``,
    output ``outputs``; batch and time dimensions dynamic."""
    module = copy.deepcopy(model.net_.module_).cpu().eval()
    text = model.vectorizer_ is not None
    lengths = torch.tensor([3, 2])
    if not text:
        x = torch.zeros(2, 3, model._input_layer_sizes()[0])
    else:
        # Words of several lengths: the character columns, as wide as the longest word of
        # a batch, stay a dynamic dimension of the graph.
        features = model._token_features([["Anna", "saw", "it"]])
        width = 0 if features is None else features.shape[1]
        x = torch.ones((2, 3, 1 + width) if width else (2, 3), dtype=torch.int64)
        if width:
            x[:, :, 1:] = torch.as_tensor(features, dtype=torch.int64)
    per_step = model._outputs_per_step
    dynamic = {"x": {0: "batch", 1: "steps"}, "lengths": {0: "batch"}}
    if text and getattr(model, "character_vocabulary_", None) is not None:
        dynamic["x"][2] = "token_columns"
    dynamic["outputs"] = {0: "batch", 1: "steps"} if per_step else {0: "batch"}
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # The tracer warns about shapes read as Python numbers; those it records stay
        # dynamic (the parity tests run other batch sizes and lengths than these).
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (x, lengths),
            buffer,
            input_names=["x", "lengths"],
            output_names=["outputs"],
            dynamic_axes=dynamic,
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
    return buffer.getvalue()


def _with_header(graph: bytes, header: dict) -> bytes:
    """The graph with the header in its metadata."""
    try:
        import onnx
    except ImportError:  # pragma: no cover - the extra installs it
        raise ImportError(
            "Exporting to ONNX needs the onnx package: pip install 'sk_rnn[onnx]'."
        ) from None
    proto = onnx.load_from_string(graph)
    proto.metadata_props.add(key=HEADER_KEY, value=json.dumps(header))
    proto.producer_name = "sk_rnn"
    proto.producer_version = __version__
    return proto.SerializeToString()
