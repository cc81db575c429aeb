"""Parameter constraints beyond scikit-learn's own (``sklearn.utils._param_validation``)."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval

__all__ = ["Count"]


class Count(Interval):
    """An integer in a range, as scikit-learn's ``Interval(Integral, ...)``, but not a
    bool (``hidden_size=True`` is a mistake, not 1). numpy integers are accepted."""

    def __init__(self, left, right=None, *, closed="left"):
        super().__init__(Integral, left, right, closed=closed)

    def is_satisfied_by(self, val):
        return not isinstance(val, bool | np.bool_) and super().is_satisfied_by(val)
