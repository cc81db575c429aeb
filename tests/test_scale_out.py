"""Scaling out: mixed precision, GPU per worker, threads under n_jobs, dask clusters,
and data-parallel training through Accelerate (in CPU configurations)."""

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV

import sk_rnn
from sk_rnn import RNNClassifier, RNNSeq2Seq, RNNTagger, _device

from .tasks import delayed_recall, neighbour_tags

FAST = dict(hidden_size=16, max_epochs=8, lr=0.02, random_state=0)


@pytest.fixture(scope="module")
def recall_data():
    return delayed_recall(120, np.random.default_rng(0))


# -- mixed precision -------------------------------------------------------------------


def test_bf16_trains_and_predicts_at_full_precision(recall_data):
    X, y = recall_data
    model = RNNClassifier(precision="bf16", **FAST).fit(X, y)
    proba = model.predict_proba(X)
    assert proba.dtype in (np.float32, np.float64)  # never a 16-bit type
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-5)
    assert np.isfinite(model.history_[:, "train_loss"]).all()
    # The forward pass really runs in bfloat16: close to float32's, but not equal.
    model.net_.precision = "32"
    full = model.predict_proba(X)
    np.testing.assert_allclose(full, proba, atol=0.05)
    assert not np.array_equal(full, proba)


def test_bf16_tagger_and_seq2seq():
    X, y = neighbour_tags(60, np.random.default_rng(1))
    tagger = RNNTagger(precision="bf16", crf=True, **FAST).fit(X, y)
    assert all(len(p) == len(x) for p, x in zip(tagger.predict(X), X, strict=True))
    words = ["ab", "ba", "abc", "cab"] * 10
    model = RNNSeq2Seq(tokenizer="char", target_tokenizer="char", precision="bf16", **FAST)
    model.fit(words, [w[::-1] for w in words])
    assert len(model.predict(words[:4])) == 4
    assert np.all(model.score_samples(words[:4], words[:4]) <= 0)


def test_unsupported_precision_is_a_clear_error(recall_data):
    X, y = recall_data
    with pytest.raises(ValueError, match="precision='fp16' needs a CUDA device"):
        RNNClassifier(precision="fp16", max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="'precision' parameter"):
        RNNClassifier(precision="int8", max_epochs=1).fit(X, y)


# -- one GPU per parallel worker ---------------------------------------------------------


@pytest.fixture
def four_fake_gpus(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)


@pytest.mark.parametrize("device", ["cuda", "auto"])
def test_each_worker_gets_its_own_gpu(four_fake_gpus, monkeypatch, device):
    assert _device.resolve_device(device) == "cuda"  # main process: the current GPU
    for slot, expected in [(0, "cuda:0"), (1, "cuda:1"), (5, "cuda:1"), (3, "cuda:3")]:
        monkeypatch.setattr(_device, "worker_slot", lambda slot=slot: slot)
        assert _device.resolve_device(device) == expected
    assert _device.resolve_device("cuda:2") == "cuda:2"  # explicit wins


def _slot_in_worker(rendezvous, n_workers):
    # Wait until n_workers distinct processes have checked in, so one fast worker cannot
    # take every task while the others are still starting.
    slot = _device.worker_slot()
    Path(rendezvous, str(os.getpid())).touch()
    deadline = time.monotonic() + 60
    while len(os.listdir(rendezvous)) < n_workers and time.monotonic() < deadline:
        time.sleep(0.01)
    return slot


def test_joblib_workers_have_distinct_slots(tmp_path):
    from joblib import Parallel, delayed

    assert _device.worker_slot() is None
    # Workers started earlier in the session (here three, since retired) must not push
    # the slots of a later pool past the number of its live workers.
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    Parallel(n_jobs=3)(delayed(_slot_in_worker)(first, 3) for _ in range(6))
    slots = Parallel(n_jobs=2)(delayed(_slot_in_worker)(second, 2) for _ in range(8))
    assert set(slots) == {0, 1}


# -- dask ----------------------------------------------------------------------------------


def test_dask_cluster_search_equals_serial_search(recall_data):
    distributed = pytest.importorskip("distributed")
    import joblib

    X, y = recall_data
    grid = {"cell": ["gru", "lstm"], "bidirectional": [False, True]}

    def search():
        # No convolution branch: its sums depend on the thread count (one per dask worker,
        # all cores when serial), and this test compares the searches to rounding.
        model = RNNClassifier(conv_channels=None, **FAST)
        return GridSearchCV(model, grid, cv=2, scoring="neg_log_loss")

    serial = search().fit(X, y)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        joblib.parallel_backend("dask"),
    ):
        parallel = search().set_params(n_jobs=-1).fit(X, y)
    for key in ("mean_test_score", "split0_test_score", "split1_test_score"):
        np.testing.assert_allclose(parallel.cv_results_[key], serial.cv_results_[key], rtol=1e-5)
    assert parallel.best_params_ == serial.best_params_


# -- Accelerate ----------------------------------------------------------------------------


def test_accelerator_on_cpu_matches_plain_training(recall_data, tmp_path):
    accelerate = pytest.importorskip("accelerate")
    X, y = recall_data
    plain = RNNClassifier(**FAST).fit(X, y)
    accelerated = RNNClassifier(accelerator=accelerate.Accelerator(cpu=True), **FAST).fit(X, y)
    np.testing.assert_allclose(accelerated.predict_proba(X), plain.predict_proba(X), atol=1e-6)
    with pytest.warns(UserWarning, match="accelerator is only needed to fit and not saved"):
        accelerated.save(tmp_path / "model.safetensors")
    restored = sk_rnn.load(tmp_path / "model.safetensors")
    assert restored.accelerator is None
    np.testing.assert_array_equal(restored.predict_proba(X), accelerated.predict_proba(X))
    with pytest.raises(ValueError, match="set mixed precision on it"):
        RNNClassifier(accelerator=accelerate.Accelerator(cpu=True), precision="bf16").fit(X, y)


DATA_PARALLEL_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import torch
    from accelerate import Accelerator
    from skorch.callbacks import Callback
    from sk_rnn import RNNClassifier

    class CountBatches(Callback):
        def on_train_begin(self, net, **kwargs):
            self.count = 0
        def on_batch_end(self, net, training=False, **kwargs):
            self.count += training

    rng = np.random.default_rng(0)
    X = [rng.normal(size=(int(n), 2)).astype(np.float32) for n in rng.integers(3, 9, 96)]
    y = [int(x[:, 0].sum() > 0) for x in X]
    counter = CountBatches()
    accelerator = Accelerator(cpu=True)
    model = RNNClassifier(hidden_size=8, max_epochs=2, batch_size=8, random_state=0,
                          accelerator=accelerator, callbacks=[counter]).fit(X, y)
    weights = torch.cat([p.detach().flatten() for p in model.net_.module_.parameters()])
    batches = dict(model.net_.callbacks_)["CountBatches"].count
    out = {"rank": accelerator.process_index, "batches": batches,
           "checksum": float(weights.double().sum())}
    with open(sys.argv[1] + f".{accelerator.process_index}", "w") as f:
        json.dump(out, f)
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="torch.distributed gloo launch on POSIX")
def test_data_parallel_training_on_two_cpu_processes(tmp_path):
    pytest.importorskip("accelerate")
    script = tmp_path / "train.py"
    script.write_text(DATA_PARALLEL_SCRIPT)
    result = tmp_path / "result"
    # torchrun (what `accelerate launch` runs for several processes), two CPU processes
    # talking over gloo.
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        str(script), str(result),
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    completed = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert completed.returncode == 0, completed.stderr[-3000:]
    import json

    ranks = [json.loads((tmp_path / f"result.{rank}").read_text()) for rank in (0, 1)]
    # 96 sequences in batches of 8 = 12 batches per epoch, 6 per process, for 2 epochs.
    assert [r["batches"] for r in ranks] == [12, 12]
    # DDP averaged the gradients: both processes end with the same weights.
    assert ranks[0]["checksum"] == pytest.approx(ranks[1]["checksum"], abs=1e-6)
