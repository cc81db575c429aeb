"""``set_output`` for transformers whose output is a table for some inputs and sequences
for others: tables follow scikit-learn's output configuration (pandas, polars), while
ragged sequences and 3-D arrays, which no table can hold, pass through unchanged."""

from __future__ import annotations

import numpy as np
from sklearn.utils._set_output import _get_container_adapter

__all__ = ["TableOutputMixin"]


class TableOutputMixin:
    """``set_output(transform=...)``, and ``_as_configured(output, X)`` for ``transform``
    to return its output in the configured container when the output is a 2-D table.

    A class using it is defined with ``auto_wrap_output_keys=None`` where it inherits
    scikit-learn's automatic wrapping (``TransformerMixin``), which would try to turn
    sequences into a DataFrame.
    """

    def set_output(self, *, transform=None):
        """Set the output container of ``transform`` and ``fit_transform``.

        Tables (2-D outputs) come back as a pandas or polars DataFrame, with the names of
        :meth:`get_feature_names_out`; sequences (ragged lists, 3-D arrays) are returned
        as they are, whatever the configuration, since no table holds them.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            None leaves the configuration unchanged.

        Returns
        -------
        self : object
        """
        if transform is None:
            return self
        if not hasattr(self, "_sklearn_output_config"):
            self._sklearn_output_config = {}
        self._sklearn_output_config["transform"] = transform
        return self

    def _as_configured(self, output, X):
        if not (isinstance(output, np.ndarray) and output.ndim == 2):
            return output
        adapter = _get_container_adapter("transform", self)  # None for "default"
        if adapter is None:
            return output
        # The input's index where it has one; X may be a list of sequences.
        original = X if hasattr(X, "index") and hasattr(X, "columns") else None
        return adapter.create_container(output, original, columns=self.get_feature_names_out)
