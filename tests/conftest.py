"""Shared fixtures: a seeded rng and a Dask cluster that is always closed."""

from __future__ import annotations

import os

import numpy as np
import pytest

# Keep Numba's on-disk cache inside the checkout so reruns skip compilation.
os.environ.setdefault(
    "NUMBA_CACHE_DIR", os.path.join(os.path.dirname(__file__), "..", ".numba_cache")
)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261125)


@pytest.fixture(scope="session")
def dask_client():
    """A two-worker LocalCluster on 127.0.0.1, shared by the session and closed at the end."""
    from accel.cluster import get_client

    with get_client(n_workers=2, dashboard=False, quiet=True) as client:
        yield client
