import threading

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from sk_rnn._batching import BucketBatchIterator, length_order
from sk_rnn._datasets import SequenceDataset
from sk_rnn._prefetch import in_background
from sk_rnn._sequences import Sequences, frame_sequences
from sk_rnn._tokens import IGNORE_INDEX
from sk_rnn._validation import check_sequences


def test_input_forms_agree():
    rng = np.random.default_rng(0)
    X3 = rng.normal(size=(4, 5, 2))
    from_3d = check_sequences(X3)
    from_list = check_sequences(list(X3))
    assert from_3d.values.dtype == np.float32
    np.testing.assert_array_equal(from_3d.values, from_list.values)
    np.testing.assert_array_equal(from_3d.lengths, [5, 5, 5, 5])

    X2 = rng.normal(size=(3, 7))
    univariate = check_sequences(X2)
    assert univariate.n_features == 1
    np.testing.assert_array_equal(univariate.lengths, [7, 7, 7])
    np.testing.assert_allclose(univariate.to_list()[1].ravel(), X2[1], rtol=1e-6)
    np.testing.assert_array_equal(check_sequences(pd.DataFrame(X2)).values, univariate.values)
    ragged_1d = check_sequences([np.arange(3.0), np.arange(5.0)])
    np.testing.assert_array_equal(ragged_1d.lengths, [3, 5])
    assert ragged_1d.n_features == 1


@pytest.mark.parametrize(
    "X, error, match",
    [
        ([], ValueError, "0 sequences"),
        ([np.zeros((3, 2)), np.zeros((0, 2))], ValueError, "Sample 1 of X has 0 steps"),
        ([np.zeros((3, 2)), np.zeros((3, 3))], ValueError, "Sample 1 of X has 3 features"),
        ([np.zeros((3, 2)), np.array([[0.0, np.nan]])], ValueError, "Sample 1 of X contains NaN"),
        (
            [np.zeros((3, 2)), np.array([[0.0, np.inf]])],
            ValueError,
            "Sample 1 of X contains NaN or inf",
        ),
        (np.zeros((2, 3, 4, 5)), ValueError, "4 dimensions"),
        (np.zeros(5), ValueError, "1-D array"),
        ([1.0, 2.0, 3.0], ValueError, "flat list of numbers"),
        ([np.zeros((2, 2)), "abc"], TypeError, "Sample 1 of X is a string"),
        ([np.zeros((2, 2)), [["a", "b"]]], TypeError, "Sample 1 of X contains non-numeric"),
        ([np.zeros((2, 2)), [{"a": 1}]], TypeError, "Sample 1 of X contains non-numeric"),
        ([np.zeros((2, 2)), np.zeros((2, 2, 2))], ValueError, "Sample 1 of X has shape"),
        ([np.zeros(2), [[1.0], [2.0, 3.0]]], ValueError, "Sample 1 of X is not a rectangular"),
        (sp.csr_matrix(np.ones((3, 3))), TypeError, "sparse"),
        (np.zeros((0, 3, 2)), ValueError, "0 sequences"),
        (np.zeros((2, 0, 2)), ValueError, "0 steps"),
        (np.full((2, 3), np.nan), ValueError, "NaN"),
        ([np.ones((2, 2), dtype=complex)], ValueError, "complex"),
        (42, TypeError, "list of sequences or an array"),
        ("abc", TypeError, "list of sequences or an array"),
    ],
)
def test_bad_input_names_the_problem(X, error, match):
    with pytest.raises(error, match=match):
        check_sequences(X)


def test_feature_count_checked_at_predict():
    with pytest.raises(ValueError, match="3 features per step.*fitted with 2"):
        check_sequences([np.zeros((4, 3))], n_features=2)


def test_framing_stacks_steps_and_zero_pads_last_frame():
    x = np.arange(14, dtype=np.float32).reshape(7, 2)
    framed = frame_sequences(Sequences.from_list([x, x[:2]]), 3)
    np.testing.assert_array_equal(framed.lengths, [3, 1])
    first, second = framed.to_list()
    np.testing.assert_array_equal(first[0], [0, 1, 2, 3, 4, 5])
    np.testing.assert_array_equal(first[2], [12, 13, 0, 0, 0, 0])
    np.testing.assert_array_equal(second[0], [0, 1, 2, 3, 0, 0])


def test_batches_pad_to_their_own_maximum_only():
    seqs = Sequences.from_list([np.full((n, 1), n, dtype=np.float32) for n in [2, 9, 3, 8]])
    dataset = SequenceDataset(seqs, np.arange(4))
    inputs, targets = dataset[np.array([0, 2])]
    assert inputs["x"].shape == (2, 3, 1)
    np.testing.assert_array_equal(inputs["x"][0, :, 0], [2, 2, 0])
    np.testing.assert_array_equal(targets, [0, 2])
    assert "weight" not in inputs
    batches = BucketBatchIterator(dataset, batch_size=2).batches()
    assert [sorted(seqs.lengths[b]) for b in batches] == [[2, 3], [8, 9]]


def test_step_targets_are_padded_with_the_ignore_index():
    seqs = Sequences.from_list([np.zeros((n, 1), dtype=np.float32) for n in [2, 4, 1]])
    dataset = SequenceDataset(seqs, step_targets=np.arange(7))
    _, targets = dataset[np.array([0, 1, 2])]
    assert targets.tolist() == [
        [0, 1, IGNORE_INDEX, IGNORE_INDEX],
        [2, 3, 4, 5],
        [6, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX],
    ]
    _, subset_targets = dataset.subset([2, 0])[np.array([0, 1])]
    assert subset_targets.tolist() == [[6, IGNORE_INDEX], [0, 1]]
    assert dataset.sample_targets() is None


def test_training_batches_vary_between_epochs_and_follow_the_seed():
    seqs = Sequences.from_list([np.zeros((1 + i % 7, 1), dtype=np.float32) for i in range(200)])
    dataset = SequenceDataset(seqs)

    def epochs(seed):
        seeds = iter([seed, seed + 1])
        iterator = BucketBatchIterator(dataset, 16, shuffle=True, epoch_seed=seeds.__next__)
        return [np.concatenate(iterator.batches()) for _ in range(2)]

    first, second = epochs(0)
    assert sorted(first) == list(range(200))
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(epochs(0)[0], first)
    np.testing.assert_array_equal(epochs(0)[1], second)


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 12), min_size=1, max_size=30),
    n_features=st.integers(1, 3),
    batch_size=st.integers(1, 8),
    dtype=st.sampled_from([np.float64, np.float32, np.int64, np.int32]),
    shuffle=st.booleans(),
)
def test_encode_pad_batch_unpad_loses_nothing(lengths, n_features, batch_size, dtype, shuffle):
    rng = np.random.default_rng(len(lengths))
    X = [(rng.normal(size=(n, n_features)) * 10).astype(dtype) for n in lengths]
    dataset = SequenceDataset(check_sequences(X), np.arange(len(X)))
    iterator = BucketBatchIterator(dataset, batch_size, shuffle=shuffle)
    seen = []
    for inputs, targets in iterator:
        for row, index in enumerate(targets.tolist()):
            n = int(inputs["lengths"][row])
            assert n == len(X[index])
            np.testing.assert_array_equal(inputs["x"][row, :n].numpy(), X[index].astype(np.float32))
            assert not inputs["x"][row, n:].any()
            seen.append(index)
    assert sorted(seen) == list(range(len(X)))
    order = length_order(np.array(lengths))
    assert list(np.array(lengths)[order]) == sorted(lengths)


def _batch_threads():
    return [t for t in threading.enumerate() if t.name == "sk_rnn-batches"]


def test_in_background_keeps_order_and_runs_ahead_of_the_caller():
    produced = []

    def items():
        for i in range(20):
            produced.append(i)
            yield i

    iterator = in_background(items(), ahead=2)
    assert next(iterator) == 0
    # Item 0 was taken; items 1 and 2 wait in the queue and 3 is made, then it blocks.
    for _ in range(500):
        if len(produced) == 4:
            break
        threading.Event().wait(0.01)
    threading.Event().wait(0.05)
    assert len(produced) == 4
    assert list(iterator) == list(range(1, 20))
    assert not _batch_threads()


def test_in_background_raises_the_producers_error_in_the_caller():
    def items():
        yield 1
        raise KeyError("bad batch")

    iterator = in_background(items())
    assert next(iterator) == 1
    with pytest.raises(KeyError, match="bad batch"):
        next(iterator)
    assert not _batch_threads()


def test_in_background_stops_its_thread_when_the_caller_stops_early():
    iterator = in_background(iter(range(1000)), ahead=1)
    for i in iterator:
        if i == 3:
            break
    iterator.close()
    assert not _batch_threads()


def test_batches_for_a_cuda_device_are_pinned_in_the_background_and_copied_without_blocking(
    monkeypatch,
):
    import sk_rnn._prefetch as data

    pinned_in, moves = [], []

    def fake_pin(batch):
        pinned_in.append(threading.current_thread().name)
        return batch

    def fake_move(batch, device, non_blocking=False):
        moves.append((device, non_blocking))
        return batch

    monkeypatch.setattr(data, "pin_memory", fake_pin)
    monkeypatch.setattr(data, "to_device", fake_move)
    X = [np.full((n, 2), n, dtype=np.float32) for n in range(1, 40)]
    dataset = SequenceDataset(check_sequences(X), np.arange(39))

    def epoch(device):
        seeds = iter([3])
        iterator = BucketBatchIterator(dataset, 4, True, seeds.__next__, device=device)
        return [(inputs["x"].numpy(), targets.numpy()) for inputs, targets in iterator]

    on_cpu = epoch(None)
    assert not pinned_in and not moves
    for (x, targets), (expected_x, expected_targets) in zip(epoch("cuda"), on_cpu, strict=True):
        np.testing.assert_array_equal(x, expected_x)
        np.testing.assert_array_equal(targets, expected_targets)
    assert pinned_in == ["sk_rnn-batches"] * len(on_cpu)
    assert moves == [("cuda", True)] * len(on_cpu)
