"""Catalogs by name, as the command line spells them.

``hipparcos``, ``gaia-bright``, ``sample:<name>`` (see :func:`list_samples`) and
``synthetic:N`` (N like ``1000000``, ``1e6`` or ``1_000_000``).
"""

from __future__ import annotations

import functools
import math
import numbers
import re

import astropy.units as u
from accel_datasets.gaia import load_gaia_bright
from accel_datasets.hipparcos import load_hipparcos
from accel_datasets.samples import list_samples, load_sample
from accel_datasets.synthetic import SyntheticPair, make_pair
from astropy.table import Table

__all__ = ["KNOWN_NAMES", "MAX_SYNTHETIC_ROWS", "load_named", "parse_synthetic_size"]

KNOWN_NAMES = ("hipparcos", "gaia-bright", "sample:<name>", "synthetic:N")
_SIDES = ("left", "right")
# Beyond this, two float64 columns per side no longer fit a workstation's memory.
MAX_SYNTHETIC_ROWS = 10**9
_SIZE_PATTERN = re.compile(r"[0-9][0-9_]*(\.[0-9]*)?([eE]\+?[0-9]+)?")


def parse_synthetic_size(text: str) -> int:
    """Parse the N of ``synthetic:N``: a positive whole number, plain or in e-notation.

    Examples
    --------
    >>> parse_synthetic_size("1e6"), parse_synthetic_size("250_000")
    (1000000, 250000)
    """
    value = float(text.replace("_", "")) if _SIZE_PATTERN.fullmatch(text) else math.nan
    if not (math.isfinite(value) and value >= 1 and value == int(value)):
        raise ValueError(
            f"synthetic size N must be a positive whole number like 1000000 or 1e6; got {text!r}"
        )
    if value > MAX_SYNTHETIC_ROWS:
        raise ValueError(f"synthetic size N must be at most {MAX_SYNTHETIC_ROWS:.0e}; got {text!r}")
    return int(value)


@functools.lru_cache(maxsize=1)
def _pair(n: int, seed: int) -> SyntheticPair:
    # Cached so that asking for the left and then the right side builds the pair once.
    return make_pair(n, seed=seed)


def _synthetic(n: int, side: str, seed: int) -> Table:
    pair = _pair(n, seed)
    ra, dec = (pair.left_ra, pair.left_dec) if side == "left" else (pair.right_ra, pair.right_dec)
    return Table(
        {"ra": ra, "dec": dec},
        units={"ra": u.deg, "dec": u.deg},
        meta={
            "source": f"accel_datasets.synthetic.make_pair({n}, seed={seed}), {side} catalog",
            "side": side,
            "seed": seed,
            "scatter_arcsec": pair.scatter_arcsec,
        },
        copy=True,
    )


def load_named(name: str, *, side: str = "left", seed: int = 0) -> Table:
    """Load a catalog by its command-line name.

    Parameters
    ----------
    name : str
        ``hipparcos``, ``gaia-bright``, ``sample:<name>`` or ``synthetic:N``.
    side : {"left", "right"}
        For ``synthetic:N``, which catalog of ``make_pair(N, seed=seed)`` to return, so
        that the two sides of a match are counterparts; ignored by the other names.
    seed : int
        Seed of the synthetic pair; ignored by the other names.

    Returns
    -------
    astropy.table.Table
        A fresh table with at least ``ra`` and ``dec`` in deg.

    Raises
    ------
    ValueError
        For an unknown name, an unknown side, or a bad synthetic size.

    Examples
    --------
    >>> left = load_named("synthetic:1e3")
    >>> right = load_named("synthetic:1e3", side="right")
    >>> len(left), len(right), str(left["ra"].unit)
    (1000, 1000, 'deg')
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str; got {type(name).__name__}")
    if side not in _SIDES:
        raise ValueError(f"side must be one of {', '.join(_SIDES)}; got {side!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
    if name == "hipparcos":
        return load_hipparcos()
    if name == "gaia-bright":
        return load_gaia_bright()
    kind, sep, arg = name.partition(":")
    if sep and kind == "sample":
        if arg not in list_samples():
            raise ValueError(f"unknown sample {arg!r}; known samples: {', '.join(list_samples())}")
        return load_sample(arg)
    if sep and kind == "synthetic":
        return _synthetic(parse_synthetic_size(arg), side, int(seed))
    raise ValueError(f"unknown catalog {name!r}; known names: {', '.join(KNOWN_NAMES)}")
