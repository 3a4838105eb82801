"""Domain pipelines built on the ``accel`` engine: ``skymatch`` and ``weather``."""
