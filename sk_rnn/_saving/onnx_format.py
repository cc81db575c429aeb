"""The ONNX file's header: where it lives in the file's metadata, its format version,
and arrays written as JSON (exactly, floats included) and read back. Shared by the
export (``_export``) and the torch-free runtime (``runtime``); reading an array is also
how the safe format reads one (``array_from_json``), so that neither can be made to
allocate more than the file holds."""

from __future__ import annotations

import numpy as np

from .._gaps import IMPUTATIONS

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "HEADER_KEY",
    "array_from_json",
    "check_header",
    "decode_array",
    "encode_array",
    "field_array",
    "field_bool",
    "field_choice",
    "field_dict",
    "field_ids",
    "field_int",
]

HEADER_KEY = "sk_rnn"  # the metadata entry holding the header
FORMAT = "sk_rnn.onnx"
# 2: numeric input may have gaps ("gaps", "fill"), always read with their channels;
# 3: the gap channels may be left out ("gap_channels"); "linear" imputation; a
# forecaster's static covariates ("static", "static_mean", "static_scale"); 4: a
# forecaster's season ("season_length") and short-window rule ("scale_steps").
FORMAT_VERSION = 4


def encode_array(array) -> dict | None:
    """An array as JSON (dtype, shape and values; floats written exactly), or None."""
    if array is None:
        return None
    array = np.asarray(array)
    return {"dtype": array.dtype.str, "shape": list(array.shape), "values": array.tolist()}


def decode_array(entry: dict | None) -> np.ndarray | None:
    """An array written by :func:`encode_array` (None for None), checked: its dtype is
    one the format writes (booleans, integers, floats, strings), its shape matches its
    values."""
    if entry is None:
        return None
    if not isinstance(entry, dict) or not {"dtype", "shape", "values"} <= set(entry):
        raise ValueError("an array entry needs 'dtype', 'shape' and 'values'")
    array = array_from_json(entry["values"], entry["dtype"], "biufU")
    shape = entry["shape"]
    if not (
        isinstance(shape, list)
        and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
        and tuple(shape) == array.shape
    ):
        raise ValueError(f"an array's shape {shape!r} does not match its values {array.shape}")
    return array


# Numbers are at most 8 bytes (float64, int64); a wider one in a file is not ours.
_MAX_NUMBER_BYTES = 8


def array_from_json(values, dtype, kinds: str) -> np.ndarray:
    """``values`` (nested lists) as an array of ``dtype``, one of the dtype ``kinds``.

    The memory taken is that of the values: strings are as wide as the longest one, not
    as the dtype says (``"<U20000000"`` in a 100-byte header would allocate gigabytes),
    and numbers are at most 8 bytes wide."""
    try:
        dtype = np.dtype(dtype)
    except (TypeError, ValueError):
        raise ValueError(f"an array has an unknown dtype {dtype!r}") from None
    if dtype.kind not in kinds:
        raise ValueError(f"an array has dtype {dtype}, which the format does not use")
    if dtype.kind != "U" and dtype.itemsize > _MAX_NUMBER_BYTES:
        raise ValueError(f"an array has dtype {dtype}, wider than the format writes")
    if not isinstance(values, list | int | float | str | bool):
        raise ValueError("an array's values are not a JSON list or value")
    try:
        if dtype.kind == "U":
            array = np.asarray(values, dtype=str)  # as wide as the longest string
            return array if array.dtype.kind == "U" else array.astype(str)
        if dtype.kind in "mM":  # dates and durations, as integers of their unit
            return np.asarray(values, dtype=np.int64).view(dtype)
        return np.asarray(values, dtype=dtype)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"an array's values do not fit its dtype {dtype}: {exc}") from None


# -- the header's schema (numpy alone: the runtime checks it) --------------------------------


def _where(path: str, key: str) -> str:
    return f"header field {path}{key!r}" if path else f"header field {key!r}"


def field_int(mapping: dict, key: str, path: str = "", *, minimum: int, optional=False):
    """``mapping[key]``: an integer of at least ``minimum`` (or None if ``optional``)."""
    value = mapping[key]
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{_where(path, key)} is {value!r}; it must be an integer >= {minimum}")
    return value


def field_bool(mapping: dict, key: str, path: str = "") -> bool:
    value = mapping[key]
    if not isinstance(value, bool):
        raise ValueError(f"{_where(path, key)} is {value!r}; it must be true or false")
    return value


def field_choice(mapping: dict, key: str, choices, path: str = ""):
    value = mapping[key]
    if not any(value is c or (type(value) is type(c) and value == c) for c in choices):
        raise ValueError(f"{_where(path, key)} is {value!r}; it must be one of {list(choices)}")
    return value


def field_array(
    mapping: dict,
    key: str,
    path: str = "",
    *,
    kinds: str = "f",
    ndim: int = 1,
    shape: tuple | None = None,
    positive: bool = False,
    optional: bool = False,
    gaps: bool = False,
):
    """``mapping[key]`` decoded: an array of one of the dtype ``kinds``, ``ndim``
    dimensions (``shape`` where given, None for any size), finite numbers (positive if
    asked; NaN allowed with ``gaps``, infinity never); None if ``optional`` and absent."""
    entry = mapping[key]
    if entry is None:
        if optional:
            return None
        raise ValueError(f"{_where(path, key)} is missing (null)")
    try:
        array = decode_array(entry)
    except ValueError as exc:
        raise ValueError(f"{_where(path, key)}: {exc}") from None
    if array.dtype.kind not in kinds or array.ndim != ndim:
        raise ValueError(f"{_where(path, key)} must be a {ndim}-D array of kind {kinds!r}")
    if shape is not None and any(
        n is not None and n != m for n, m in zip(shape, array.shape, strict=True)
    ):
        raise ValueError(f"{_where(path, key)} has shape {array.shape}; expected {shape}")
    if array.dtype.kind in "iuf":
        if not np.isfinite(array[~np.isnan(array)] if gaps else array).all():
            raise ValueError(f"{_where(path, key)} holds NaN or infinity")
        if positive and not (array > 0).all():
            raise ValueError(f"{_where(path, key)} holds values that are not positive")
    return array


def field_dict(mapping: dict, key: str, path: str = "", *, optional=False) -> dict | None:
    """``mapping[key]``: a JSON object (or null if ``optional``; the key must be there)."""
    value = mapping[key]
    if value is None and optional:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"{_where(path, key)} is {value!r}; it must be a JSON object")
    return value


def field_ids(mapping: dict, key: str, path: str = "", *, first_id: int, optional=True):
    """A JSON object of strings to distinct integer ids of at least ``first_id``."""
    value = field_dict(mapping, key, path, optional=optional)
    if value is None:
        return None
    ids = list(value.values())
    if not all(isinstance(i, int) and not isinstance(i, bool) and i >= first_id for i in ids):
        raise ValueError(f"{_where(path, key)} must map strings to ids >= {first_id}")
    if len(set(ids)) != len(ids):
        raise ValueError(f"{_where(path, key)} gives two entries the same id")
    if ids and max(ids) >= first_id + len(ids):  # the graph has an embedding per entry
        raise ValueError(f"{_where(path, key)} gives an id beyond its {len(ids)} entries")
    return value


def check_header(header, graph: dict, *, estimators, tokenizers, reserved_tokens, affixes):
    """Check the parts of an exported model's header that every estimator has: format,
    version, estimator (one of ``estimators``), batch size and the input encoding,
    against the graph's fixed sizes (``graph``: the last dimension of its input ``x``, its
    rank). Raises a ValueError naming the field."""
    if not isinstance(header, dict):
        raise ValueError("the header is not a JSON object")
    if header.get("format") != FORMAT:
        raise ValueError(f"header field 'format' is {header.get('format')!r}, not {FORMAT!r}")
    field_int(header, "format_version", minimum=1)
    field_choice(header, "estimator", estimators)
    field_int(header, "batch_size", minimum=1)
    spec = field_dict(header, "input")
    kind = field_choice(spec, "kind", ("numeric", "text"), "input.")
    field_int(spec, "max_length", "input.", minimum=1, optional=True)
    field_choice(spec, "keep", ("first", "last"), "input.")
    if kind == "numeric":
        n_features = field_int(spec, "n_features", "input.", minimum=1)
        frame_size = field_int(spec, "frame_size", "input.", minimum=1)
        scaling = field_choice(spec, "scaling", (None, "global", "per_series"), "input.")
        for name in ("mean", "scale"):
            array = field_array(
                spec,
                name,
                "input.",
                shape=(n_features,),
                positive=name == "scale",
                optional=scaling != "global",
            )
            if scaling != "global" and array is not None:
                raise ValueError(f"header field 'input.{name}' is given without global scaling")
        gaps = None
        if header["format_version"] >= 2:  # version 1 files have no gap channels
            gaps = field_choice(spec, "gaps", (None, *IMPUTATIONS), "input.")
            field_array(spec, "fill", "input.", shape=(n_features,), optional=gaps is None)
            if gaps is None and spec["fill"] is not None:
                raise ValueError("header field 'input.fill' is given without gaps")
        channels = True
        if header["format_version"] >= 3:
            channels = field_bool(spec, "gap_channels", "input.")
        width = n_features * (3 if gaps and channels else 1) * frame_size
        if graph["input_rank"] != 3 or graph["input"] not in (None, width):
            raise ValueError(
                f"the header's input (n_features={n_features}, frame_size={frame_size}, "
                f"gaps={gaps}) does not fit the graph's input width {graph['input']}"
            )
        return
    field_choice(spec, "tokenizer", tokenizers, "input.")
    field_bool(spec, "lowercase", "input.")
    vocabulary = spec["vocabulary"]
    if (
        not isinstance(vocabulary, list)
        or not all(isinstance(t, str) for t in vocabulary)
        or tuple(vocabulary[: len(reserved_tokens)]) != tuple(reserved_tokens)
        or len(set(vocabulary)) != len(vocabulary)
    ):
        raise ValueError(
            "header field 'input.vocabulary' must be a list of distinct strings that starts "
            f"with {list(reserved_tokens)}"
        )
    vocabularies = field_dict(spec, "affix_vocabularies", "input.", optional=True)
    if vocabularies is not None:
        if set(vocabularies) != set(affixes):
            raise ValueError(f"header field 'input.affix_vocabularies' must name {list(affixes)}")
        for name in affixes:
            field_ids(vocabularies, name, "input.affix_vocabularies.", first_id=2, optional=False)
    field_ids(spec, "character_vocabulary", "input.", first_id=4)
    rank = 3 if vocabularies is not None or spec.get("character_vocabulary") is not None else 2
    if graph["input_rank"] != rank:
        raise ValueError("the header's token features do not fit the graph's input")
