import pytest
import torch

from sk_rnn._modules import (
    CELLS,
    POOLINGS,
    AttentionPooling,
    EncoderDecoder,
    RecurrentEncoder,
    SequencePredictor,
    SequenceTagger,
    StepRegressor,
    pool_outputs,
    reverse_padded,
)


def test_reverse_padded_reverses_within_length_and_is_an_involution():
    x = torch.arange(1.0, 6.0).reshape(1, 5, 1).repeat(2, 1, 1)
    lengths = torch.tensor([5, 3])
    out = reverse_padded(x, lengths)
    assert out[0, :, 0].tolist() == [5, 4, 3, 2, 1]
    assert out[1, :, 0].tolist() == [3, 2, 1, 4, 5]
    assert torch.equal(reverse_padded(out, lengths), x)


def _predictor(cell, bidirectional, pooling, conv_channels=None):
    encoder = RecurrentEncoder(3, cell, 8, num_layers=2, bidirectional=bidirectional)
    return SequencePredictor(encoder, 4, pooling=pooling, conv_channels=conv_channels)


def _step_modules(bidirectional):
    return {
        "step regressor": StepRegressor(RecurrentEncoder(3, "gru", 8, 1, bidirectional), 2),
        "tagger": SequenceTagger(RecurrentEncoder(3, "lstm", 8, 1, bidirectional), 3, crf=True),
    }


# Every module that reads a padded batch: the sequence-level readouts (every cell,
# direction and pooling; the convolution branch) and the per-step ones.
MODULES = {
    **{
        f"{cell}, {'bi' if bi else 'uni'}, {pooling}": (
            lambda cell=cell, bi=bi, pooling=pooling: _predictor(cell, bi, pooling)
        )
        for cell in CELLS
        for bi in (False, True)
        for pooling in POOLINGS
    },
    "convolution branch": lambda: _predictor("lstm", True, "attention", conv_channels=4),
    **{
        f"{name}, {'bi' if bi else 'uni'}": (lambda name=name, bi=bi: _step_modules(bi)[name])
        for name in ("step regressor", "tagger")
        for bi in (False, True)
    },
}


@pytest.mark.parametrize("name", MODULES)
def test_output_does_not_depend_on_padding_or_batch_mates(name):
    torch.manual_seed(0)
    model = MODULES[name]().eval()
    short = torch.randn(1, 4, 3)
    alone = model(short, torch.tensor([4]))
    # The same short sequence padded to 50 steps with garbage, next to long ones.
    batch = torch.randn(3, 50, 3) * 5
    batch[1, :4] = short[0]
    together = model(batch, torch.tensor([50, 4, 37]))
    if together.dim() == 3:  # per step: the short sequence's own steps
        together = together[:, :4]
    torch.testing.assert_close(together[1], alone[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("attention", ["dot", "general", "additive", None])
def test_encoder_decoder_scores_do_not_depend_on_padding_or_batch_mates(attention):
    torch.manual_seed(0)
    encoder = RecurrentEncoder(8, "gru", 16, bidirectional=True, vocabulary_size=12)
    model = EncoderDecoder(encoder, 9, 8, "gru", attention=attention).eval()
    source, target_in = torch.randint(4, 12, (1, 4)), torch.randint(4, 9, (1, 3))
    alone = model(source, torch.tensor([4]), target_in)
    sources = torch.randint(4, 12, (3, 30))
    sources[1, :4] = source[0]
    targets = torch.randint(4, 9, (3, 3))
    targets[1] = target_in[0]
    together = model(sources, torch.tensor([30, 4, 17]), targets)
    torch.testing.assert_close(together[1], alone[0], rtol=1e-5, atol=1e-6)


def test_mean_max_pooling_joins_the_mean_and_the_maximum_of_each_sequence():
    outputs = torch.tensor([[[1.0, -2.0], [3.0, 0.0], [99.0, 99.0]]])  # last step is padding
    pooled = pool_outputs(outputs, None, torch.tensor([2]), "mean_max")
    assert pooled.tolist() == [[2.0, -1.0, 3.0, 0.0]]


def test_attention_pooling_weighs_only_true_steps_and_is_the_mean_when_scores_tie():
    torch.manual_seed(0)
    attention = AttentionPooling(2)
    outputs = torch.tensor([[[1.0, -2.0], [3.0, 0.0], [99.0, 99.0]]])  # last step is padding
    weights = attention.step_weights(outputs, torch.tensor([2]))
    assert weights[0, 2] == 0 and torch.isclose(weights.sum(), torch.tensor(1.0))
    with torch.no_grad():
        attention.score.weight.zero_()  # every step scores the same
    pooled = attention(outputs, torch.tensor([2]))
    torch.testing.assert_close(pooled, pool_outputs(outputs, None, torch.tensor([2]), "mean"))


def test_attention_pooling_learns_to_read_the_marked_step():
    # Each step gives (value, flag); the target is the value of the one flagged step. A
    # linear head on the mean of the steps cannot give it, on a learned weighting it can.
    torch.manual_seed(0)
    flags = torch.nn.functional.one_hot(torch.randint(0, 8, (256,)), 8).float()
    values = torch.randn(256, 8)
    steps, lengths = torch.stack([values, flags], 2), torch.full((256,), 8)
    target = (values * flags).sum(1, keepdim=True)
    errors = {}
    for pooling in ("mean", "attention"):
        torch.manual_seed(0)
        attention, head = AttentionPooling(2), torch.nn.Linear(2, 1)
        parameters = [*attention.parameters(), *head.parameters()]
        optimizer = torch.optim.Adam(parameters, lr=0.05)
        for _ in range(200):
            optimizer.zero_grad()
            if pooling == "mean":
                pooled = pool_outputs(steps, None, lengths, "mean")
            else:
                pooled = attention(steps, lengths)
            loss = ((head(pooled) - target) ** 2).mean()
            loss.backward()
            optimizer.step()
        errors[pooling] = loss.item()
    assert errors["attention"] < 0.05 and errors["mean"] > 0.5


def test_last_readout_matches_each_sequence_run_alone():
    torch.manual_seed(0)
    encoder = RecurrentEncoder(2, "gru", 5, bidirectional=True).eval()
    x = torch.randn(2, 6, 2)
    _, last, _ = encoder(x, torch.tensor([6, 3]))
    _, alone, _ = encoder(x[1:, :3], torch.tensor([3]))
    torch.testing.assert_close(last[1], alone[0])
    # Compare with torch's own bidirectional GRU on the unpadded sequence.
    gru = torch.nn.GRU(2, 5, batch_first=True, bidirectional=True)
    fwd, bwd = encoder.forward_layers[0], encoder.backward_layers[0]
    with torch.no_grad():
        for name, value in fwd.named_parameters():
            getattr(gru, name).copy_(value)
            getattr(gru, name + "_reverse").copy_(getattr(bwd, name))
    outputs, _ = gru(x[1:, :3])
    torch.testing.assert_close(alone[0], torch.cat([outputs[0, -1, :5], outputs[0, 0, 5:]]))


def test_invalid_cell():
    with pytest.raises(ValueError, match="cell must be one of"):
        RecurrentEncoder(2, "transformer", 4)
