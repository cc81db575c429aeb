"""Training a language model on token streams: truncated back-propagation through time
over parallel streams of the joined texts, the recurrent state carried between chunks."""

from __future__ import annotations

import torch

from ._net import SequenceNet
from ._sequences import sequence_steps
from ._tokens import EOS_ID

__all__ = ["CarriedState", "StreamIterator", "StreamNet", "detach_state"]


class StreamNet(SequenceNet):
    """SequenceNet for language models: truncated back-propagation through time.

    Each pass joins the texts of the dataset (shuffled when training), each after an
    ``<eos>``, cuts the token stream into ``batch_size`` parallel streams and yields them
    ``bptt`` steps at a time, in order (:class:`StreamIterator`). The recurrent state is
    carried from one chunk to the next, detached, in the pass's own
    :class:`CarriedState`; the module itself stays stateless.
    """

    def __init__(self, *args, bptt=35, **kwargs):
        super().__init__(*args, **kwargs)
        self.bptt = bptt

    def get_iterator(self, dataset, training=False):
        return StreamIterator(
            dataset,
            self.batch_size,
            self.bptt,
            shuffle=training,
            epoch_seed=self._epoch_seed,
            device=self.compute_device,
        )

    def infer(self, x, **fit_params):
        carried = x["carried"]
        tokens = x["x"].to(self.compute_device)
        logits, state = self.module_(tokens, x["lengths"], carried.state)
        carried.state = detach_state(state)
        return logits


class CarriedState:
    """The recurrent state one pass over a stream carries from chunk to chunk."""

    def __init__(self):
        self.state = None


class StreamIterator:
    """Chunks of parallel token streams over the texts of a SequenceDataset (see StreamNet).

    Each text's sample weight applies to its tokens and to the ``<eos>`` that ends it.
    """

    def __init__(self, dataset, n_streams, bptt, shuffle, epoch_seed, device=None):
        self.dataset = dataset
        self.n_streams = n_streams
        self.bptt = bptt
        self.shuffle = shuffle
        self.epoch_seed = epoch_seed
        self.device = device

    def streams(self):
        """Inputs, next-token targets and their weights (or None), each of shape
        (n_streams, stream_length)."""
        dataset = self.dataset
        rows = dataset.indices
        if self.shuffle:
            generator = torch.Generator().manual_seed(self.epoch_seed())
            rows = rows[torch.randperm(len(rows), generator=generator)]
        lengths = dataset.lengths[rows]
        # Text i starts after its <eos> at starts[i]; one final <eos> ends the stream.
        starts = torch.cumsum(lengths + 1, 0) - (lengths + 1)
        stream = torch.full((self._stream_size(),), EOS_ID)
        text, step = map(torch.from_numpy, sequence_steps(lengths.numpy()))
        stream[starts[text] + 1 + step] = dataset.values[dataset.offsets[rows][text] + step]
        n_streams, length = self._stream_shape()
        inputs = stream[: n_streams * length].view(n_streams, length)
        targets = stream[1 : n_streams * length + 1].view(n_streams, length)
        weights = None
        if dataset.weights is not None:
            # Target position p predicts stream token p + 1, which belongs to the text
            # whose span (its tokens and closing <eos>) covers it.
            owner = torch.repeat_interleave(dataset.weights[rows], lengths + 1)
            weights = owner[: n_streams * length].view(n_streams, length)
        return inputs, targets, weights

    def _stream_size(self) -> int:
        """Tokens in the joined stream: every text, an <eos> before each, one at the end."""
        return int(self.dataset.sample_lengths().sum()) + len(self.dataset) + 1

    def _stream_shape(self) -> tuple[int, int]:
        """(number of parallel streams, tokens per stream); each stream needs 2 tokens."""
        predicted = self._stream_size() - 1
        n_streams = max(1, min(self.n_streams, predicted // 2))
        return n_streams, predicted // n_streams

    def __len__(self) -> int:
        return -(-self._stream_shape()[1] // self.bptt)

    def __iter__(self):
        inputs, targets, weights = self.streams()
        carried = CarriedState()
        n_streams = inputs.size(0)
        for start in range(0, inputs.size(1), self.bptt):
            chunk = slice(start, start + self.bptt)
            x = inputs[:, chunk]
            lengths = torch.full((n_streams,), x.size(1), dtype=torch.long)
            batch = {"x": x, "lengths": lengths, "carried": carried}
            if weights is not None:
                batch["weight"] = weights[:, chunk]
            yield batch, targets[:, chunk]


def detach_state(state):
    """A recurrent state (tensor, or LSTM pair) cut from the graph."""
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()
