import numpy as np
import pytest


@pytest.fixture
def sky():
    """Random points (deg) on a patch of sky: sky(rng, n, dec_range=..., ra_range=...)."""

    def make(rng, n, dec_range=(-90.0, 90.0), ra_range=(0.0, 360.0)):
        lo, hi = np.sin(np.deg2rad(dec_range))
        ra = rng.uniform(*ra_range, n) % 360.0
        dec = np.rad2deg(np.arcsin(rng.uniform(lo, hi, n)))
        return ra, dec

    return make
