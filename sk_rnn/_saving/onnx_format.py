"""The ONNX file's header: where it lives in the file's metadata, its format version,
and arrays written as JSON (exactly, floats included) and read back. Shared by the
export (``_export``) and the torch-free runtime (``runtime``)."""

from __future__ import annotations

import numpy as np

__all__ = ["FORMAT", "FORMAT_VERSION", "HEADER_KEY", "decode_array", "encode_array"]

HEADER_KEY = "sk_rnn"  # the metadata entry holding the header
FORMAT = "sk_rnn.onnx"
FORMAT_VERSION = 1


def encode_array(array) -> dict | None:
    """An array as JSON (dtype, shape and values; floats written exactly), or None."""
    if array is None:
        return None
    array = np.asarray(array)
    return {"dtype": array.dtype.str, "shape": list(array.shape), "values": array.tolist()}


def decode_array(entry: dict | None) -> np.ndarray | None:
    if entry is None:
        return None
    values = entry["values"]
    return np.array(values, dtype=np.dtype(entry["dtype"])).reshape(entry["shape"])
