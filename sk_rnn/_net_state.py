"""What a network estimator saves to the safe format, and how it is rebuilt on load:
the parameters it was fitted with, its weights, history and device."""

from __future__ import annotations

import warnings
from numbers import Integral

import torch
from skorch.history import History

from ._embeddings import pretrained_dimension
from ._persistence import SafeSaving, history_to_json, module_state, resolve_load_device

__all__ = ["NetStateMixin"]

_NEEDED_ONLY_TO_FIT = {
    "callbacks": "are only needed to fit",
    "embeddings": "are only needed to fit (embedding_dim keeps their size)",
    "accelerator": "is only needed to fit",
}


class NetStateMixin(SafeSaving):
    """The safe format's hooks (:class:`~sk_rnn._persistence.SafeSaving`) for an
    estimator whose fitted network is ``net_``."""

    # The net and its history go in the file as weights and a list, not as attributes.
    _unsaved_attributes = ("net_", "history_")
    # Read at prediction time: saved as they are now, not as they were at fit.
    _prediction_parameters: tuple[str, ...] = ("batch_size", "verbose")

    def _saved_parameters(self) -> dict:
        """The parameters the network was fitted with, and the prediction parameters as
        they are now: what the file needs to rebuild and to predict as this model does."""
        params = dict(self._fitted_params_)
        params.update({name: getattr(self, name) for name in self._prediction_parameters})
        if params.get("embeddings") is not None and params.get("embedding_dim") in (None, "auto"):
            params["embedding_dim"] = pretrained_dimension(params["embeddings"])
        for name, why in _NEEDED_ONLY_TO_FIT.items():
            if params.get(name) is not None:
                warnings.warn(
                    f"{name} {why} and not saved; the loaded model has {name}=None.",
                    UserWarning,
                    stacklevel=5,  # the caller of save()
                )
                params[name] = None
        if not isinstance(params.get("random_state"), Integral | None):
            params["random_state"] = None  # a RandomState's state only matters for fitting
        return params

    def _saved_state(self, tensors: dict, prefix: str) -> dict:
        for name, tensor in self.net_.module_.state_dict().items():
            tensors[f"{prefix}module.{name}"] = tensor.detach().to("cpu").contiguous().clone()
        history, as_strings = history_to_json(self.history_)
        if as_strings:
            warnings.warn(
                f"The training history holds values that are not numbers: "
                f"{', '.join(sorted(as_strings))}; the safe format saves them as strings.",
                UserWarning,
                stacklevel=5,  # the caller of save()
            )
        return {"device": self.device_, "history": history}

    def _restore_state(self, state: dict, tensors: dict, prefix: str, device) -> None:
        """Rebuild the net around saved weights, checking their shapes before building."""
        weights = module_state(tensors, prefix)
        with torch.device("meta"):  # shapes only, nothing allocated
            expected = {k: tuple(v.shape) for k, v in self._build_module().state_dict().items()}
        found = {k: tuple(v.shape) for k, v in weights.items()}
        if expected != found:
            name = next(
                k for k in sorted(expected.keys() | found.keys()) if expected.get(k) != found.get(k)
            )
            raise ValueError(
                f"the weights do not fit the network the header describes: {name!r} has "
                f"shape {found.get(name)} in the file and {expected.get(name)} in the network"
            )
        module = self._build_module()
        module.load_state_dict(weights)
        device = resolve_load_device(str(state["device"]), device)
        seed = self.random_state if isinstance(self.random_state, int) else 0
        self.net_ = self._build_net(module, torch.device(device), seed).initialize()
        self.net_.history = History(state["history"])
        self.history_ = self.net_.history
