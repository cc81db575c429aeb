"""RNNRegressor: one or more real values per sequence, or per step (``per_step=True``)."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import RegressorMixin, clone
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_array

from ._base import RNNBase
from ._datasets import StepTargets
from ._mixins.inference import module_outputs
from ._mixins.transform import SequenceFeaturesMixin
from ._modules import SequencePredictor, StepRegressor
from ._parameters import (
    AUTO_EARLY_STOPPING_SAMPLES,
    REGRESSOR_AUTO_BY_INPUT,
    SEQUENCE_LEVEL_CONSTRAINTS,
    document_parameters,
    fitted_value,
    store_parameters,
)
from ._saving import fitted_schema as schema
from ._saving.onnx_format import encode_array
from ._scaling import in_target_units, mean_and_nonzero_scale
from ._validation import check_same_length, check_sample_weight, positional

__all__ = ["RNNRegressor"]

# shrink_to_mean fits its factor on the out-of-fold predictions of this many networks,
# each trained for this share of the fitted network's optimizer steps: the guarantee
# costs about 1.3 fits, where 3 networks trained in full cost 4 to 7 (GasPrices and M1
# growth, seeds 0-2: RMSE 0.0904 and 0.3403 against 0.0908 and 0.3372; a share of 0.2 took
# 1.54 fits on M1 growth; benchmarks.md, raw units).
CROSSFIT_FOLDS = 2
CROSSFIT_STEP_SHARE = 0.15


@document_parameters
class RNNRegressor(SequenceFeaturesMixin, RegressorMixin, RNNBase):
    """Recurrent neural network regressor for variable-length sequences.

    Reads each sequence with a recurrent encoder (and, by default for numeric
    sequences, a convolutional branch beside it: ``conv_channels``), pools it into one
    vector and predicts one or more real targets with a linear head trained on mean
    squared error. Targets are standardised inside and predictions come back in the
    original units.

    With ``per_step=True`` it predicts a value at every step instead (a denoised
    reading, the next value, a running level): ``y[i]`` has one target per step of
    ``X[i]``, and the head reads the recurrent output of each step.

    Parameters
    ----------
    per_step : bool, default=False
        One target per step: ``y`` is a list with one array of shape ``(n_steps_i,)``
        or ``(n_steps_i, n_outputs)`` per sequence, as long as the sequence, and
        ``predict`` returns the same structure. The loss is the squared error over the
        true steps only, and ``score`` is R^2 over all of them. Steps are not framed
        (``frame_size`` "auto" or 1) nor cut (``max_length`` None), and ``pooling`` and
        ``conv_channels`` (sequence-level readouts) are not used. With
        ``bidirectional=True`` each step's output reads the whole sequence; set it to
        False for a causal model (each step sees only the past).
    shrink_to_mean : bool or "auto", default="auto"
        Pull predictions towards the training mean by a factor fitted on out-of-fold
        predictions: 2 more networks, each fitted on half of the data for 15% of the
        optimizer steps the network took, predict the half they did not see, and for
        each output the factor in [0, 1] that best brings those predictions to the
        truth from the mean (least squares) is kept as ``shrinkage_``. On small, noisy
        data a network's predictions spread more than the truth does; shrunk, they do
        not lose to the mean. Fitting takes about 1.3 times as long as without.
        "auto": on when the training data has fewer than 1,000 sequences (and not
        ``per_step``). False: predictions as the network makes them.
    %(shared_parameters)s

    Attributes
    ----------
    n_outputs_ : int
        Number of targets per sequence (per step with ``per_step``).
    target_mean_ : ndarray of shape (n_outputs,)
        The (weighted) training mean of each target, which the network's outputs are
        standardised around and ``shrinkage_`` pulls predictions towards.
    target_scale_ : ndarray of shape (n_outputs,)
        The training standard deviation of each target (1 for a constant one).
    n_features_in_ : int
        Features per time step seen in fit (1 for 2-D input, one sequence per row);
        numeric input only.
    vectorizer_ : SequenceVectorizer or None
        The tokenizer and vocabulary learned from text input (None for numeric input);
        ``vocabulary_`` is its token-to-id mapping.
    auto_settings_ : dict
        What "auto" stood for at fit, for this kind of input: ``cell``, ``pooling``,
        ``dropout`` and ``conv_channels``. Saved with the model, so that a model keeps
        its network when a later version changes a default.
    shrinkage_ : ndarray of shape (n_outputs,)
        The factor by which each output's predictions are pulled towards the mean
        (``shrink_to_mean``; 1 is not at all).
    target_mean_, target_scale_ : ndarray of shape (n_outputs,)
        Standardisation of the targets learned in fit.
    single_output_ : bool
        Whether ``y`` was 1-D (per step: each ``y[i]`` was), so that ``predict``
        returns shape (n_samples,) (per step: ``(n_steps_i,)`` arrays).
    %(shared_attributes)s
    net_ : skorch.NeuralNet
        The trained skorch net holding the torch module (``net_.module_``).
    history_ : skorch.History
        Per-epoch losses and timings.
    device_ : str
        The device the model was trained on.

    See Also
    --------
    RNNClassifier : One label per sequence.
    RNNForecaster : The future values of a series, from windows of its past.
    SequenceTable : A long table (one row per id and step) as sequences.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_rnn import RNNRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.normal(size=n) for n in rng.integers(5, 15, size=60)]
    >>> y = [x.sum() for x in X]
    >>> reg = RNNRegressor(hidden_size=16, max_epochs=5, random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints: dict = {
        **RNNBase._parameter_constraints,
        **SEQUENCE_LEVEL_CONSTRAINTS,
        "per_step": ["boolean"],
        "shrink_to_mean": ["boolean", StrOptions({"auto"})],
    }
    _fitted_constraints: dict = {
        **RNNBase._fitted_constraints,
        "n_outputs_": schema.integer(1),
        "single_output_": schema.boolean,
        "target_mean_": schema.per_target_vector(),
        "target_scale_": schema.per_target_vector(positive=True),
        "shrinkage_": schema.shrinkage,
    }
    _auto_by_input = REGRESSOR_AUTO_BY_INPUT
    _network_parameters = frozenset({"per_step"})
    _training_parameters = RNNBase._training_parameters | {"shrink_to_mean"}

    _onnx_runtime = "Regressor"

    @property
    def _outputs_per_step(self) -> bool:
        return self.per_step

    def _onnx_header(self) -> dict:
        return {
            "per_step": bool(self.per_step),
            "single_output": bool(self.single_output_),
            "target_mean": encode_array(self.target_mean_),
            "target_scale": encode_array(self.target_scale_),
            "shrinkage": encode_array(self.shrinkage_),
        }

    def __init__(
        self,
        *,
        per_step=False,
        shrink_to_mean="auto",
        pooling="auto",
        conv_channels="auto",
        cell="auto",
        hidden_size=64,
        num_layers=1,
        bidirectional=True,
        dropout="auto",
        tokenizer="auto",
        lowercase=False,
        min_frequency=2,
        max_vocabulary=None,
        embedding_dim="auto",
        embeddings=None,
        freeze_embeddings=False,
        token_dropout=0.2,
        standardize="auto",
        missing="auto",
        elapsed="auto",
        frame_size="auto",
        max_length=None,
        keep="first",
        max_epochs="auto",
        batch_size=32,
        lr=3e-3,
        lr_schedule="cosine",
        optimizer=torch.optim.AdamW,
        optimizer_params=None,
        clip_grad_norm=5.0,
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=10,
        callbacks=None,
        device="cpu",
        precision="32",
        accelerator=None,
        random_state=None,
        warm_start=False,
        verbose=0,
    ):
        store_parameters(self, locals())

    def _check_params(self, text):
        super()._check_params(text)
        if self.per_step and self.frame_size not in (1, "auto"):
            raise ValueError(
                "per_step=True predicts at every step, which frames would merge; "
                "leave frame_size='auto' or set it to 1."
            )
        if self.per_step and self.max_length is not None:
            raise ValueError(
                "per_step=True predicts at every step of each sequence; max_length would "
                "cut steps that have targets. Leave max_length=None."
            )

    def _fit_targets(self, y, sample_weight=None):
        values, self.single_output_ = self._target_values(y)
        if sample_weight is not None and self.per_step:  # each step carries its sequence's
            sample_weight = np.repeat(sample_weight, [len(t) for t in positional(y, "y")])
        self.n_outputs_ = values.shape[1]
        with np.errstate(over="ignore", invalid="ignore"):  # refused just below
            self.target_mean_, self.target_scale_ = mean_and_nonzero_scale(values, sample_weight)
        if not (np.isfinite(self.target_mean_).all() and np.isfinite(self.target_scale_).all()):
            raise ValueError(
                "y has values too large to standardise (their mean or standard deviation "
                f"overflows float64; the largest is {np.abs(values).max():.3g}); divide y by "
                "a constant before fitting."
            )
        self.shrinkage_ = np.ones(self.n_outputs_)  # until fit cross-fits it

    def _target_values(self, y, lengths=None) -> tuple[np.ndarray, bool]:
        """The targets as one float64 array of shape (n_targets, n_outputs): one row per
        sample, or (``per_step``) per step of every sample, checked against the
        sequences' ``lengths`` when given; and whether they were single outputs (1-D
        ``y``, or 1-D ``y[i]``)."""
        if not self.per_step:
            _check_not_dates(y, "y")
            _check_not_ragged(y)
            y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
            if lengths is not None:
                check_same_length(len(lengths), len(y))
            return y.reshape(len(y), -1), y.ndim == 1
        if isinstance(y, str) or not hasattr(y, "__len__"):
            raise TypeError(
                "With per_step=True, y must be a list with one array of targets per sequence."
            )
        y = positional(y, "y")
        if lengths is not None:
            check_same_length(len(lengths), len(y))
        rows = []
        for i, targets in enumerate(y):
            targets = positional(targets, f"y[{i}]")
            _check_not_dates(targets, f"Sample {i} of y")
            targets = np.asarray(targets, dtype=np.float64)
            if targets.ndim not in (1, 2) or (lengths is not None and len(targets) != lengths[i]):
                expected = "its steps" if lengths is None else f"{lengths[i]} steps, as X[{i}]"
                raise ValueError(
                    f"Sample {i} of y has shape {targets.shape}; with per_step=True it needs "
                    f"one target per step ({expected}): shape (n_steps,) or (n_steps, "
                    "n_outputs)."
                )
            rows.append(targets)
        widths = {1 if r.ndim == 1 else r.shape[1] for r in rows}
        if len(widths) > 1:
            raise ValueError(f"The samples of y have different numbers of outputs: {widths}.")
        values = np.concatenate([r.reshape(len(r), -1) for r in rows])
        if not np.isfinite(values).all():
            raise ValueError("y contains NaN or infinity.")
        return values, all(r.ndim == 1 for r in rows)

    def _encode_targets(self, y, sequences):
        values, single_output = self._target_values(y, sequences.lengths)
        if values.shape[1] != self.n_outputs_ or single_output != self.single_output_:
            if self.per_step:
                fitted = "(n_steps,)" if self.single_output_ else f"(n_steps, {self.n_outputs_})"
                found = f"with {values.shape[1]} output(s) per step"
                raise ValueError(
                    f"y has targets {found}, but the model was fitted with y[i] of shape {fitted}."
                )
            fitted = "(n_samples,)" if self.single_output_ else f"(n_samples, {self.n_outputs_})"
            shape = (len(values),) if single_output else values.shape
            raise ValueError(
                f"y has shape {shape}, but the model was fitted with y of shape {fitted}."
            )
        standardised = ((values - self.target_mean_) / self.target_scale_).astype(np.float32)
        return StepTargets(standardised) if self.per_step else standardised

    def _after_training(self, X, y, sample_weight) -> None:
        self.shrinkage_ = self._crossfit_shrinkage(X, y, sample_weight)

    def _crossfit_shrinkage(self, X, y, sample_weight) -> np.ndarray:
        """Per output, the factor in [0, 1] by which out-of-fold predictions of networks
        fitted like this one best approach the truth from the training mean (least
        squares, weighted by ``sample_weight``); ones when ``shrink_to_mean`` is off."""
        n_samples = len(positional(X))
        on = self.shrink_to_mean
        if on == "auto":
            on = n_samples < AUTO_EARLY_STOPPING_SAMPLES and not self.per_step
        if not on or n_samples < CROSSFIT_FOLDS:
            return np.ones(self.n_outputs_)
        X, truth = positional(X), self._target_values(y)[0]
        weights = check_sample_weight(sample_weight, n_samples)
        weights = np.ones(n_samples) if weights is None else weights
        folds = KFold(CROSSFIT_FOLDS, shuffle=True, random_state=int(self.net_.shuffle_seed))
        out_of_fold = np.empty_like(truth)
        steps = CROSSFIT_STEP_SHARE * sum(len(epoch["batches"]) for epoch in self.history_)
        for train, held_out in folds.split(np.arange(n_samples)):
            batches = -(-len(train) // self.batch_size)
            member = clone(self).set_params(
                shrink_to_mean=False,
                warm_start=False,
                verbose=0,
                max_epochs=max(1, int(steps // batches)),
            )
            targets = truth[train, 0] if self.single_output_ else truth[train]
            member.fit(
                _safe_indexing(X, train),
                targets,
                sample_weight=None if sample_weight is None else weights[train],
            )
            predicted = member.predict(_safe_indexing(X, held_out))
            out_of_fold[held_out] = np.reshape(predicted, (len(held_out), -1))
        predicted_spread = out_of_fold - self.target_mean_
        true_spread = truth - self.target_mean_
        reach = (weights[:, None] * predicted_spread * true_spread).sum(0)
        power = (weights[:, None] * predicted_spread**2).sum(0)
        return np.clip(reach / np.maximum(power, np.finfo(float).tiny), 0.0, 1.0)

    def predict(self, X):
        """Predicted targets, in the units of ``y``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs), or a list
            With ``per_step=True``, a list with one array of shape ``(n_steps_i,)`` or
            ``(n_steps_i, n_outputs)`` per sequence.
        """
        if self.per_step:
            steps = self._predict_steps(X, module_outputs)
            return [self._original_units(s) for s in steps]
        return self._original_units(self._forward(X))

    def _original_units(self, outputs: np.ndarray) -> np.ndarray:
        """Network outputs in the units of ``y``, pulled towards the mean by ``shrinkage_``."""
        scaling = (self.target_mean_, self.target_scale_, self.shrinkage_)
        return in_target_units(outputs, *scaling, self.single_output_)

    def _build_task_module(self, encoder):
        if self.per_step:
            return StepRegressor(encoder, self.n_outputs_, fitted_value(self, "dropout"))
        return SequencePredictor(
            encoder,
            self.n_outputs_,
            fitted_value(self, "pooling"),
            fitted_value(self, "dropout"),
            task="regression",
            conv_channels=fitted_value(self, "conv_channels"),
        )

    def score(self, X, y, sample_weight=None) -> float:
        """Coefficient of determination R^2 of the predictions (1 is perfect); with
        ``per_step``, over all true steps of all sequences.

        Parameters
        ----------
        X : sequences, as for :meth:`predict`
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), or a list of
            per-step arrays with ``per_step``
        sample_weight : array-like of shape (n_samples,) or None
            With ``per_step``, every step of sequence ``i`` has weight ``sample_weight[i]``.

        Returns
        -------
        score : float
        """
        if not self.per_step:
            return super().score(X, y, sample_weight=sample_weight)
        predicted = self.predict(X)
        lengths = np.array([len(p) for p in predicted])
        truth, _ = self._target_values(y, lengths)
        weights = check_sample_weight(sample_weight, len(lengths))
        return float(
            r2_score(
                truth,
                np.concatenate([p.reshape(len(p), -1) for p in predicted]),
                sample_weight=None if weights is None else np.repeat(weights, lengths),
            )
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _check_not_ragged(y) -> None:
    """Refuse ``y`` whose rows have different lengths (sequences of targets, given to a
    regressor that predicts one row per sequence) before numpy's own error would."""
    if not isinstance(y, list | tuple):
        return
    lengths = [len(row) if hasattr(row, "__len__") else None for row in y]
    i = next((i for i, n in enumerate(lengths) if n != lengths[0]), None)
    if i is not None:
        raise ValueError(
            f"y holds rows of different lengths (sample {i} differs from sample 0): give "
            "one target per sequence, or one row of n_outputs targets per sequence. For "
            "one target per step of each sequence, use per_step=True."
        )


def _check_not_dates(y, what: str) -> None:
    """Dates and durations are not regression targets (numpy and pandas would make
    nanoseconds of them)."""
    dtype = getattr(y, "dtype", None)
    if dtype is None and hasattr(y, "__len__") and len(y):
        dtype = np.asarray(y[:1] if isinstance(y, list) else y).dtype
    if getattr(dtype, "kind", None) in ("m", "M"):
        raise TypeError(
            f"{what} holds dates or durations (dtype {dtype}); regression targets must be "
            "numbers (for example days since a reference date)."
        )
