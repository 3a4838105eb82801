"""Catalogs by command-line name."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest
from accel_datasets.registry import load_named, parse_synthetic_size
from accel_datasets.synthetic import make_pair


def test_real_catalogs_and_samples():
    assert len(load_named("hipparcos")) == 117_955
    gaia = load_named("gaia-bright", side="right")
    assert len(gaia) == 482_176 and gaia.meta["epoch"] == 2016.0
    sample = load_named("sample:hipparcos-pole")
    assert sample["dec"].min() > 85 and sample["ra"].unit == u.deg


def test_synthetic_sides_are_the_pair():
    pair = make_pair(2000, seed=4)
    left = load_named("synthetic:2e3", seed=4)
    right = load_named("synthetic:2000", side="right", seed=4)
    assert left.colnames == right.colnames == ["ra", "dec"]
    assert left["ra"].unit == u.deg and right["dec"].unit == u.deg
    assert np.array_equal(left["ra"], pair.left_ra) and np.array_equal(left["dec"], pair.left_dec)
    assert np.array_equal(right["ra"], pair.right_ra) and np.array_equal(
        right["dec"], pair.right_dec
    )
    assert right.meta["side"] == "right" and right.meta["seed"] == 4
    assert not np.array_equal(load_named("synthetic:2e3", seed=5)["ra"], left["ra"])
    left["ra"][:] = -1.0  # callers get copies, never the cached arrays
    assert np.array_equal(load_named("synthetic:2e3", seed=4)["ra"], pair.left_ra)


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("1000000", 1_000_000),
        ("1e6", 1_000_000),
        ("1E3", 1000),
        ("1_000", 1000),
        ("2.5e3", 2500),
        ("1e+2", 100),
    ],
)
def test_parse_sizes(text, n):
    assert parse_synthetic_size(text) == n


@pytest.mark.parametrize("text", ["0", "1e-3", "2.5", "abc", "-5", "", "1e400", " 10", "0x10"])
def test_bad_sizes(text):
    with pytest.raises(
        ValueError,
        match=r"synthetic size N must be a positive whole number like 1000000 or 1e6; got",
    ):
        load_named(f"synthetic:{text}")


def test_too_large():
    with pytest.raises(ValueError, match=r"synthetic size N must be at most 1e\+09; got '1e10'"):
        load_named("synthetic:1e10")


def test_unknown_names_and_options():
    with pytest.raises(
        ValueError,
        match=r"unknown catalog 'tycho'; known names: hipparcos, gaia-bright, sample:<name>, synthetic:N",
    ):
        load_named("tycho")
    with pytest.raises(ValueError, match=r"unknown catalog 'gaia'; known names"):
        load_named("gaia")
    with pytest.raises(ValueError, match=r"unknown sample 'nope'; known samples: gaia-pleiades"):
        load_named("sample:nope")
    with pytest.raises(ValueError, match=r"side must be one of left, right; got 'middle'"):
        load_named("hipparcos", side="middle")
    with pytest.raises(ValueError, match=r"seed must be a non-negative integer; got -1"):
        load_named("synthetic:10", seed=-1)
    with pytest.raises(TypeError, match=r"name must be a str; got NoneType"):
        load_named(None)
