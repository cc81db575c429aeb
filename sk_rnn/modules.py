"""The torch building blocks of sk_rnn's estimators, for use in your own PyTorch code.

Every estimator trains one of these modules (``model.net_.module_``); the same classes
let you write a training loop of your own around sk_rnn's encoder, which reads
right-padded batches exactly (padding never reaches a readout or the backward direction)
without packing. The benchmarks compare the estimators with such hand-written loops.

Inputs are ``x`` of shape ``(batch, max_length, features)`` (or token ids of shape
``(batch, max_length)``) and ``lengths`` of shape ``(batch,)``.

Examples
--------
>>> import torch
>>> from sk_rnn.modules import RecurrentEncoder, SequencePredictor
>>> encoder = RecurrentEncoder(3, "gru", hidden_size=8, bidirectional=True)
>>> model = SequencePredictor(encoder, n_outputs=2, pooling="mean")
>>> model(torch.randn(4, 10, 3), torch.tensor([10, 7, 3, 1])).shape
torch.Size([4, 2])
"""

from ._modules import (
    CELLS,
    POOLINGS,
    AttentionPooling,
    ConvolutionBranch,
    EncoderDecoder,
    LinearChainCRF,
    NextTokenPredictor,
    RecurrentEncoder,
    SequencePredictor,
    SequenceTagger,
    StepRegressor,
)

__all__ = [
    "CELLS",
    "POOLINGS",
    "AttentionPooling",
    "ConvolutionBranch",
    "EncoderDecoder",
    "LinearChainCRF",
    "NextTokenPredictor",
    "RecurrentEncoder",
    "SequencePredictor",
    "SequenceTagger",
    "StepRegressor",
]
