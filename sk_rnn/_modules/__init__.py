"""Pure torch building blocks, one family per module: the encoder, pooling and the
convolution branch; the losses; the classifier's and regressor's heads; tagging;
the language model; sequence to sequence. Nothing here imports scikit-learn: the
estimators build these modules from fitted sizes. The estimators and the training loop
meet them only through the protocols of :mod:`sk_rnn._modules.protocols`."""

from .convolution import ConvolutionBranch
from .encoder import (
    CELLS,
    RecurrentEncoder,
    TokenHiding,
    hide_ids,
    length_mask,
    make_rnn,
    reverse_padded,
    set_dropout,
)
from .heads import SequencePredictor, StepRegressor
from .language_model import NextTokenPredictor
from .losses import class_cross_entropy, squared_error, step_cross_entropy, target_log_probabilities
from .pooling import POOLINGS, AttentionPooling, pool_outputs
from .protocols import Decoder, FeatureModule, TaskModule
from .seq2seq import ATTENTIONS, Attention, EncoderDecoder
from .tagging import AffixEncoder, CharacterEncoder, LinearChainCRF, SequenceTagger

__all__ = [
    "ATTENTIONS",
    "CELLS",
    "POOLINGS",
    "AffixEncoder",
    "Attention",
    "AttentionPooling",
    "CharacterEncoder",
    "ConvolutionBranch",
    "Decoder",
    "EncoderDecoder",
    "FeatureModule",
    "LinearChainCRF",
    "NextTokenPredictor",
    "RecurrentEncoder",
    "SequencePredictor",
    "SequenceTagger",
    "StepRegressor",
    "TaskModule",
    "TokenHiding",
    "class_cross_entropy",
    "hide_ids",
    "length_mask",
    "make_rnn",
    "pool_outputs",
    "reverse_padded",
    "set_dropout",
    "squared_error",
    "step_cross_entropy",
    "target_log_probabilities",
]
