"""What a network estimator saves to the safe format, and how it is rebuilt on load:
the parameters it was fitted with, its weights, history and device."""

from __future__ import annotations

from numbers import Integral
from typing import Any, Protocol

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as serialise
from skorch.history import History

from .._embeddings import pretrained_dimension
from .._saving.migrations import filled_pickle_state, renamed_weights
from .._saving.persistence import (
    SafeSaving,
    history_to_json,
    module_state,
    resolve_load_device,
)
from .._warnings import warn_user

__all__ = ["NetStateMixin", "NetStateNeeds"]


class NetStateNeeds(Protocol):
    """What :class:`NetStateMixin` needs from the estimator it is mixed into: the fitted
    net and the parameters it was fitted with, and the builders of
    :class:`~sk_rnn._mixins.assembly.NetAssemblyMixin` to rebuild it around saved weights."""

    net_: Any
    history_: Any
    device_: str
    random_state: Any
    _fitted_params_: dict

    def _build_module(self) -> torch.nn.Module: ...

    def _build_net(self, module: torch.nn.Module, device: torch.device, seed: int) -> Any: ...


_NEEDED_ONLY_TO_FIT = {
    "callbacks": "are only needed to fit",
    "embeddings": "are only needed to fit (embedding_dim keeps their size)",
    "accelerator": "is only needed to fit",
}


class NetStateMixin(SafeSaving):
    """The safe format's hooks (:class:`~sk_rnn._saving.persistence.SafeSaving`) for an
    estimator whose fitted network is ``net_``, and the same state for pickle and skops.

    Pickled (or dumped with skops), the network travels as it does in the safe format:
    its weights as safetensors bytes, its history and device, and its optimizer's state,
    so that training continues where it was; no torch object is pickled. A model pickled
    on a GPU unpickles on a machine without one (on the CPU, with a warning), and skops
    needs to trust sk_rnn's classes and the optimizer class only.

    Needs from the estimator: :class:`NetStateNeeds`.
    """

    # The net and its history go in the file as weights and a list, not as attributes.
    _unsaved_attributes = ("net_", "history_")
    # Read at prediction time: saved as they are now, not as they were at fit.
    _prediction_parameters: tuple[str, ...] = ("batch_size", "verbose", "max_length", "keep")

    def _saved_parameters(self) -> dict:
        """The parameters the network was fitted with, and the prediction parameters as
        they are now: what the file needs to rebuild and to predict as this model does."""
        params = dict(self._fitted_params_)
        params.update(
            {name: getattr(self, name) for name in self._prediction_parameters if name in params}
        )
        if params.get("embeddings") is not None and params.get("embedding_dim") in (None, "auto"):
            params["embedding_dim"] = pretrained_dimension(params["embeddings"])
        for name, why in _NEEDED_ONLY_TO_FIT.items():
            if params.get(name) is not None:
                warn_user(f"{name} {why} and not saved; the loaded model has {name}=None.")
                params[name] = None
        if not isinstance(params.get("random_state"), Integral | None):
            params["random_state"] = None  # a RandomState's state only matters for fitting
        return params

    def _saved_state(self, tensors: dict, prefix: str) -> dict:
        for name, tensor in self.net_.module_.state_dict().items():
            tensors[f"{prefix}module.{name}"] = tensor.detach().to("cpu").contiguous().clone()
        history, as_strings = history_to_json(self.history_)
        if as_strings:
            warn_user(
                f"The training history holds values that are not numbers: "
                f"{', '.join(sorted(as_strings))}; the safe format saves them as strings."
            )
        return {"device": self.device_, "history": history, "shuffle_seed": self.net_.shuffle_seed}

    def _restore_state(self, state: dict, tensors: dict, prefix: str, device) -> None:
        """Rebuild the net around saved weights, checking their shapes before building."""
        weights = renamed_weights(module_state(tensors, prefix))
        # Every recurrent layer holds weights of its own: a header asking for more layers
        # than the file has tensors is refused before a module is built (building even on
        # the meta device takes minutes for 100,000 layers).
        if self.num_layers > len(weights):
            raise ValueError(
                f"the header asks for num_layers={self.num_layers}, but the file holds "
                f"{len(weights)} weight tensors"
            )
        history = state.get("history")
        if not isinstance(history, list) or not all(isinstance(e, dict) for e in history):
            raise ValueError("the training history is not a list of epochs")
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
        # Continued training shuffles on, as from the model that was saved (files from
        # before the seed was saved: the random_state).
        seed = state.get("shuffle_seed")
        if not isinstance(seed, int):
            seed = self.random_state if isinstance(self.random_state, int) else 0
        self.net_ = self._build_net(module, torch.device(device), seed).initialize()
        self.net_.history = History(state["history"])
        self.history_ = self.net_.history

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: object's is the live __dict__
        if "net_" in state:
            state["net_"] = self._portable_net()
            state.pop("history_", None)
        return state

    def __setstate__(self, state):
        net = state.pop("net_", None)
        if net is not None:  # a pickle from before a parameter or fitted attribute existed
            state = filled_pickle_state(type(self), state)
        super().__setstate__(state)
        if net is None:
            return
        tensors = load_tensors(net["weights"])
        self._restore_state(net, tensors, "", None)
        optimizer = _optimizer_state(net["optimizer"], tensors)
        self.net_.optimizer_.load_state_dict(optimizer)

    def _portable_net(self) -> dict:
        """The fitted net as bytes and plain values (see the class docs)."""
        tensors: dict = {}
        for name, tensor in self.net_.module_.state_dict().items():
            tensors[f"module.{name}"] = tensor.detach().to("cpu").contiguous().clone()
        optimizer = self.net_.optimizer_.state_dict()
        per_parameter = []
        for key, values in optimizer["state"].items():
            entry = {}
            for name, value in values.items():
                if isinstance(value, torch.Tensor):
                    tensors[f"optimizer.{key}.{name}"] = value.detach().to("cpu").contiguous()
                    entry[name] = {"__tensor__": f"optimizer.{key}.{name}"}
                else:
                    entry[name] = value
            per_parameter.append([key, entry])
        history, _ = history_to_json(self.history_)
        return {
            "weights": serialise(tensors),
            "device": self.device_,
            "history": history,
            "shuffle_seed": self.net_.shuffle_seed,
            "optimizer": {"state": per_parameter, "param_groups": optimizer["param_groups"]},
        }


def _optimizer_state(portable: dict, tensors: dict) -> dict:
    """An optimizer's state dict from its portable form (tensors named in ``tensors``)."""
    state = {}
    for key, entry in portable["state"]:
        state[key] = {
            name: tensors[value["__tensor__"]] if isinstance(value, dict) else value
            for name, value in entry.items()
        }
    return {"state": state, "param_groups": portable["param_groups"]}
