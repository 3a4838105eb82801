"""The Examples sections of accel_datasets run and show their real output."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["hipparcos", "gaia", "synthetic", "sky_strips", "samples", "registry"]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name):
    module = importlib.import_module(f"accel_datasets.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


def test_public_api():
    import accel_datasets

    assert sorted(accel_datasets.__all__) == sorted(set(accel_datasets.__all__))
    for name in accel_datasets.__all__:
        assert getattr(accel_datasets, name).__doc__
    assert accel_datasets.__doc__.startswith("Data for the toolkit")
