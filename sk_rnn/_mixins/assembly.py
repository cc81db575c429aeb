"""Assembling a network estimator's torch module and skorch net: the encoder and task
module from fitted sizes, the training device, and the callbacks every net gets."""

from __future__ import annotations

import copy
from typing import Protocol

import torch
from skorch.callbacks import EarlyStopping, GradientNormClipping, ProgressBar

from .._callbacks import CosineSchedule, LastGoodEpoch
from .._device import check_precision, draw_seed, resolve_device, seeded
from .._modules import RecurrentEncoder
from .._net import HoldoutSplit, SequenceNet, accelerated
from .._parameters import fitted_value, parameter_value

__all__ = ["NetAssemblyMixin", "NetAssemblyNeeds"]


class NetAssemblyNeeds(Protocol):
    """What :class:`NetAssemblyMixin` needs from the estimator it is mixed into, besides
    the shared parameters: the input layer's sizes and pretrained vectors
    (:class:`~sk_rnn._mixins.inputs.InputEncodingMixin`), the subclass's module hooks and net
    class, and whether to stop early (``early_stopping_``, resolved by the fit before
    the net is built). ``auto_settings_`` is read through ``fitted_value``."""

    early_stopping_: bool
    auto_settings_: dict
    _net_class: type
    _stratify_validation: bool

    def _input_layer_sizes(self) -> tuple[int, int | None]: ...

    def _load_pretrained_embeddings(self, module: torch.nn.Module) -> None: ...

    def _build_task_module(self, encoder: RecurrentEncoder) -> torch.nn.Module: ...

    def _build_token_feature_encoder(self) -> torch.nn.Module | None: ...

    def _net_params(self) -> dict: ...


class NetAssemblyMixin:
    """Builds ``net_`` for an estimator from its parameters and fitted attributes; the
    estimator supplies the task module (``_build_task_module``) and, for token input
    with more than word ids, ``_build_token_feature_encoder`` (:class:`NetAssemblyNeeds`)."""

    def _training_device(self) -> torch.device:
        """The device to train on, checked to exist and to support ``precision``."""
        if self.accelerator is not None:
            return torch.device(self.accelerator.device)
        device = torch.device(resolve_device(self.device))
        check_precision(self.precision, str(device))
        return device

    def _build_module(self) -> torch.nn.Module:
        """The whole torch module: the shared encoder and the subclass's task module."""
        input_size, vocabulary_size = self._input_layer_sizes()
        encoder = RecurrentEncoder(
            input_size,
            fitted_value(self, "cell"),
            self.hidden_size,
            self.num_layers,
            parameter_value(self, "bidirectional"),
            fitted_value(self, "dropout"),
            vocabulary_size=vocabulary_size,
            token_feature_encoder=self._build_token_feature_encoder(),
            token_dropout=self.token_dropout,
        )
        if encoder.embedding is not None and self.freeze_embeddings:
            encoder.embedding.weight.requires_grad_(False)
        return self._build_task_module(encoder)

    def _initialize_net(self) -> None:
        """Build the torch module and the skorch net from fitted attributes."""
        device = self._training_device()
        seed = draw_seed(self.random_state)
        with seeded(device, seed):
            module = self._build_module()
            self._load_pretrained_embeddings(module)
            self.net_ = self._build_net(module, device, seed).initialize()
        self.history_ = self.net_.history

    def _build_net(self, module, device, seed) -> SequenceNet:
        callbacks = [copy.deepcopy(cb) for cb in self.callbacks or []]
        callbacks.append(("last_good_epoch", LastGoodEpoch()))
        if self.clip_grad_norm is not None:
            callbacks.append(("clip_grad_norm", GradientNormClipping(self.clip_grad_norm)))
        if parameter_value(self, "lr_schedule") == "cosine":
            callbacks.append(("lr_schedule", CosineSchedule()))
        train_split = None
        if self.early_stopping_:
            stopper = EarlyStopping(patience=self.n_iter_no_change, load_best=True, sink=self._log)
            callbacks.append(("early_stopping", stopper))
            train_split = HoldoutSplit(self.validation_fraction, seed, self._stratify_validation)
        if self.verbose:
            callbacks.append(("progress_bar", ProgressBar()))
        net_class, placement = self._net_class, {"device": device}
        if self.accelerator is not None:
            net_class = accelerated(net_class)
            # skorch prints with any sink but print even when verbose=0; print on the main
            # process only (accelerator.print) when asked to print. The accelerator
            # places the module, so the net's device is None (as skorch asks).
            sink = self.accelerator.print if self.verbose else print
            placement = {
                "accelerator": self.accelerator,
                "device": None,
                "callbacks__print_log__sink": sink,
            }
        return net_class(
            module,
            optimizer=self.optimizer,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            train_split=train_split,
            callbacks=callbacks,
            # A model fitted in fp16 on a GPU predicts in float32 where it is loaded on a CPU.
            precision="32"
            if self.precision == "fp16" and device.type != "cuda"
            else self.precision,
            verbose=self.verbose,
            shuffle_seed=seed,
            **placement,
            **self._net_params(),
            **{f"optimizer__{k}": v for k, v in (self.optimizer_params or {}).items()},
        )

    def _log(self, message):
        if self.verbose:
            print(message)
