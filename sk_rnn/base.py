"""What writing your own estimator needs: the base class, its contract and helpers.

docs/developers.rst ("Adding an estimator") shows a whole estimator built from these
names alone. :class:`RNNBase` runs the fit flow; a subclass declares its parameters
(an explicit ``__init__`` whose body is ``store_parameters(self, locals())``, decorated
with ``@document_parameters`` to render the shared parameters' documentation) and
implements the hooks the guide lists. Its targets reach the dataset as an array (one per
sequence), as :class:`StepTargets` (one per step) or as :class:`Sequences` (target
tokens); its task module follows the :class:`TaskModule` protocol, and
:func:`length_mask` masks padding in its loss. A fitted attribute of its own is declared
in ``_fitted_constraints``, with a check from :mod:`fitted_checks <sk_rnn._saving.fitted_schema>`,
so that a saved model of the class loads.
"""

from ._base import DeclaredClassesMixin, RNNBase
from ._datasets import StepTargets
from ._modules import TaskModule, length_mask
from ._parameters import (
    ABSENT_PARAMETER_VALUES,
    SHARED_CONSTRAINTS,
    SHARED_DOCS,
    document_parameters,
    parameter_value,
    store_parameters,
)
from ._saving import fitted_schema as fitted_checks
from ._sequences import Sequences

__all__ = [
    "ABSENT_PARAMETER_VALUES",
    "SHARED_CONSTRAINTS",
    "SHARED_DOCS",
    "DeclaredClassesMixin",
    "RNNBase",
    "Sequences",
    "StepTargets",
    "TaskModule",
    "document_parameters",
    "fitted_checks",
    "length_mask",
    "parameter_value",
    "store_parameters",
]
