"""Shared tiny data sets; every test must run fast on 2 CPU cores."""

import numpy as np
import pytest
from tasks import delayed_recall, ragged_sum


@pytest.fixture(scope="session")
def recall_data():
    rng = np.random.default_rng(0)
    return delayed_recall(400, rng), delayed_recall(200, rng)


@pytest.fixture(scope="session")
def sum_data():
    rng = np.random.default_rng(1)
    return ragged_sum(400, rng), ragged_sum(200, rng)


@pytest.fixture(scope="session")
def ragged_X():
    rng = np.random.default_rng(2)
    return [rng.normal(size=(n, 3)).astype(np.float32) for n in rng.integers(1, 30, size=40)]
