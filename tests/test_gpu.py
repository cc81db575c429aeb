"""The CUDA path end to end. Skipped without a CUDA device; run them on a GPU machine."""

import numpy as np
import pytest
import torch

import sk_rnn
from sk_rnn import RNNClassifier, RNNLanguageModel, RNNSeq2Seq, RNNTagger
from sk_rnn._batching import BucketBatchIterator
from sk_rnn._datasets import SequenceDataset
from sk_rnn._validation import check_sequences

from .tasks import delayed_recall, neighbour_tags

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
FAST = dict(hidden_size=16, max_epochs=5, lr=0.02, random_state=0, device="cuda")


@pytest.mark.parametrize("precision", ["32", "bf16", "fp16"])
def test_classifier_trains_on_the_gpu(precision, tmp_path):
    if precision == "bf16" and not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bf16")
    X, y = delayed_recall(100, np.random.default_rng(0))
    model = RNNClassifier(precision=precision, **FAST).fit(X, y)
    assert model.device_.startswith("cuda")
    assert next(model.net_.module_.parameters()).is_cuda
    proba = model.predict_proba(X)
    assert isinstance(proba, np.ndarray) and np.isfinite(proba).all()
    model.save(tmp_path / "model.safetensors")
    on_cpu = sk_rnn.load(tmp_path / "model.safetensors", device="cpu")
    np.testing.assert_allclose(on_cpu.predict_proba(X), proba, atol=0.05)


def test_tagger_language_model_and_seq2seq_on_the_gpu():
    X, y = neighbour_tags(40, np.random.default_rng(1))
    tagger = RNNTagger(crf=True, **FAST).fit(X, y)
    assert all(len(p) == len(x) for p, x in zip(tagger.predict(X), X, strict=True))
    lm = RNNLanguageModel(tokenizer="char", bptt=8, batch_size=4, **FAST).fit(["abab", "ba"] * 5)
    assert np.isfinite(lm.score_samples(["ab"])).all() and len(lm.sample(2, max_length=5)) == 2
    words = ["ab", "ba", "abc", "cba"] * 5
    model = RNNSeq2Seq(tokenizer="char", target_tokenizer="char", beam_size=3, **FAST)
    assert len(model.fit(words, words).predict(words)) == len(words)


def test_accelerator_on_the_gpu():
    accelerate = pytest.importorskip("accelerate")
    X, y = delayed_recall(100, np.random.default_rng(0))
    fast = {k: v for k, v in FAST.items() if k != "device"}
    model = RNNClassifier(accelerator=accelerate.Accelerator(), **fast).fit(X, y)
    assert model.device_.startswith("cuda")
    assert np.isfinite(model.predict_proba(X)).all()


def test_batches_are_prepared_ahead_and_arrive_on_the_gpu_unchanged():
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(n, 3)) for n in rng.integers(1, 30, 200)]
    dataset = SequenceDataset(check_sequences(X), np.arange(200))

    def epoch(device):
        seed = iter([7])
        return list(BucketBatchIterator(dataset, 16, True, seed.__next__, device=device))

    for (on_gpu, gpu_targets), (on_cpu, cpu_targets) in zip(
        epoch("cuda"), epoch(None), strict=True
    ):
        assert on_gpu["x"].is_cuda and on_gpu["lengths"].is_cuda and gpu_targets.is_cuda
        torch.testing.assert_close(on_gpu["x"].cpu(), on_cpu["x"], rtol=0, atol=0)
        assert on_gpu["lengths"].tolist() == on_cpu["lengths"].tolist()
        assert gpu_targets.tolist() == cpu_targets.tolist()
