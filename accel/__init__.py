"""accel: the engine of the toolkit.

Domain-agnostic pieces (sphere geometry, spatial buckets, stencil halos, the Dask
cluster, benchmarking and compression reports).  Domain pipelines live in the
``workloads`` package and register their CLI subcommands through the
``accel.commands`` entry-point group.
"""

__version__ = "0.1.0"
