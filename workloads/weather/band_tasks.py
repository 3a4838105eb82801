"""The tasks of a distributed shallow-water run (:mod:`workloads.weather.distributed`).

Each is a pure function of its inputs, which it never modifies, so Dask may run it
again (after a worker died) and get the same bits.  Data a stretch starts from travels
in its graph wrapped in :class:`Embedded`, which the tasks unwrap.
"""

from __future__ import annotations

import numpy as np

from workloads.weather.blocks import BlockStatics, advance_block

__all__ = ["Embedded", "unwrap", "advance_task", "rows_task", "current_task"]


class Embedded:
    """Data embedded in a graph under a token of its own.

    Dask names a graph by hashing everything in it; for the bands a stretch starts from
    that is ~25 ms of SHA-1 per run at 0.25 deg, for a name nothing else needs.  The
    token is unique per stretch, and the tasks unwrap the value with :func:`unwrap`.
    """

    __slots__ = ("value", "token")

    def __init__(self, value: object, token: str) -> None:
        self.value = value
        self.token = token

    def __dask_tokenize__(self) -> str:
        return self.token

    def __reduce__(self):
        return (Embedded, (self.value, self.token))


def unwrap(x: object) -> object:
    """The value inside an :class:`Embedded`, or ``x`` itself.

    Examples
    --------
    >>> from dask.base import tokenize
    >>> e = Embedded([1, 2], "band-0")
    >>> unwrap(e), unwrap(3), tokenize(e) == tokenize(Embedded([3], "band-0"))
    ([1, 2], 3, True)
    """
    return x.value if isinstance(x, Embedded) else x


def advance_task(
    parts: list[np.ndarray], data_start: int, own_start: int, own_stop: int,
    statics: BlockStatics, dt_s: float, steps: int, first_step: int,
) -> np.ndarray:  # fmt: skip
    """One exchange: a band and its neighbours' halo strips (in latitude order), advanced."""
    return advance_block([unwrap(p) for p in parts], data_start, own_start, own_stop,
                         unwrap(statics), dt_s=dt_s, steps=steps, first_step=first_step)  # fmt: skip


def rows_task(piece: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """A halo strip: only these rows travel to the neighbour, not the whole band."""
    return np.ascontiguousarray(unwrap(piece)[:, lo:hi])


def current_task(piece: np.ndarray) -> np.ndarray:
    """The current level of a band: all the last snapshot needs, half of what it holds."""
    return np.ascontiguousarray(piece[-3:])
