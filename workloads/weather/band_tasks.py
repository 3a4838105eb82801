"""The tasks of a distributed shallow-water run (:mod:`workloads.weather.distributed`).

Each is a pure function of its inputs, which it never modifies, so Dask may run it
again (after a worker died) and get the same bits.  Data a stretch starts from travels
in its graph wrapped in :class:`Embedded` (built with :func:`embed`), which the tasks
unwrap.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable

import numpy as np
from dask.sizeof import sizeof

from workloads.weather.blocks import BlockStatics, advance_block

__all__ = ["Embedded", "embed", "unwrap", "advance_task", "rows_task", "current_task"]


class Embedded:
    """Data embedded in a graph under a token of its own.

    Dask names a graph by hashing everything in it; for the bands a stretch starts from
    that is ~25 ms of SHA-1 per run at 0.25 deg, for a name nothing else needs.  Dask
    takes two objects with the same token for the same data, so the token must be
    unique to the value: build one with :func:`embed`, which derives it from the
    graph key the value is stored under.  The tasks unwrap the value with
    :func:`unwrap`; ``dask.sizeof`` reports the size of the value, so the scheduler
    weighs the data, not the wrapper, when it places tasks.

    Parameters
    ----------
    value
        The data (a band's array, a :class:`BlockStatics`); never modified.
    token
        What Dask's ``tokenize`` returns for this object.

    Examples
    --------
    >>> import numpy as np
    >>> from dask.sizeof import sizeof
    >>> e = Embedded(np.zeros(1000), "band-0")
    >>> e.token, sizeof(e) >= 8000
    ('band-0', True)
    """

    __slots__ = ("value", "token")

    def __init__(self, value: object, token: str) -> None:
        self.value = value
        self.token = token

    def __dask_tokenize__(self) -> str:
        return self.token

    def __reduce__(self):
        return (Embedded, (self.value, self.token))


def embed(key: Hashable, value: object) -> Embedded:
    """``value`` wrapped for the graph entry ``key``, with a token derived from the key.

    Keys are unique within a graph, and every stretch's keys carry a fresh UUID, so
    two embedded values never share a token unless they are the same entry.

    Examples
    --------
    >>> e = embed(("weather-band-1f0c", 0, 0, 1), [1, 2])
    >>> e.value, e.token
    ([1, 2], "embedded-('weather-band-1f0c', 0, 0, 1)")
    """
    return Embedded(value, f"embedded-{key!r}")


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


@sizeof.register(Embedded)
def _sizeof_embedded(x: Embedded) -> int:
    return sizeof(x.value)


@sizeof.register(BlockStatics)
def _sizeof_statics(x: BlockStatics) -> int:
    arrays = (getattr(x, f.name) for f in dataclasses.fields(x))
    return sum(a.nbytes for a in arrays if isinstance(a, np.ndarray))


def advance_task(
    parts: list[Embedded | np.ndarray], data_start: int, own_start: int, own_stop: int,
    statics: Embedded | BlockStatics, dt_s: float, steps: int, first_step: int,
) -> np.ndarray:  # fmt: skip
    """One exchange: a band and its neighbours' halo strips, advanced ``steps`` steps.

    Parameters
    ----------
    parts
        The stacked piece fields (both leapfrog levels, or one at step 0) of the rows
        ``data_start ..``, in latitude order, each bare or :class:`Embedded`.
    data_start, own_start, own_stop
        First row of ``parts``, and the rows this band owns and returns.
    statics
        :class:`BlockStatics` covering the rows of ``parts``, bare or embedded.
    dt_s, steps, first_step
        Time step, steps to take, and the step the data are at.

    Returns
    -------
    numpy.ndarray
        The owned rows after ``steps`` steps, both levels; the inputs are unchanged.

    Examples
    --------
    >>> from workloads.weather.api import initial_state
    >>> from workloads.weather.blocks import block_statics, stack_levels
    >>> from workloads.weather.cases import case_fields
    >>> from workloads.weather.grid import make_grid
    >>> grid, state = make_grid(10.0), initial_state(6, 10.0)
    >>> x0 = stack_levels(None, tuple(state[k].values for k in "huv"))
    >>> f = case_fields(grid, 6)
    >>> st = block_statics(grid, f.hs, f.coriolis, f.advect_only, 0, 18)
    >>> advance_task([x0[:, :12]], 0, 0, 6, st, 600.0, 3, 0).shape[1]
    6
    """
    return advance_block([unwrap(p) for p in parts], data_start, own_start, own_stop,
                         unwrap(statics), dt_s=dt_s, steps=steps, first_step=first_step)  # fmt: skip


def rows_task(piece: Embedded | np.ndarray, lo: int, hi: int) -> np.ndarray:
    """A halo strip: only these rows travel to the neighbour, not the whole band.

    Parameters
    ----------
    piece
        A band's stacked fields ``(levels, rows, nlon)``, bare or :class:`Embedded`.
    lo, hi
        The rows to cut, relative to the band.

    Returns
    -------
    numpy.ndarray
        A contiguous copy of rows ``lo .. hi``.

    Examples
    --------
    >>> import numpy as np
    >>> band = np.arange(24.0).reshape(1, 4, 6)
    >>> rows_task(embed("band", band), 1, 3).shape
    (1, 2, 6)
    """
    return np.ascontiguousarray(unwrap(piece)[:, lo:hi])


def current_task(piece: Embedded | np.ndarray) -> np.ndarray:
    """The current level of a band: all the last snapshot needs, half of what it holds.

    ``piece`` is normally a band computed by :func:`advance_task` (bare); an
    :class:`Embedded` one is unwrapped as well.

    Parameters
    ----------
    piece
        A band's stacked fields: ``(6, rows, nlon)`` (previous then current level).

    Returns
    -------
    numpy.ndarray
        A contiguous copy of the last three fields, ``(3, rows, nlon)``.

    Examples
    --------
    >>> import numpy as np
    >>> band = np.arange(36.0).reshape(6, 2, 3)
    >>> bool((current_task(band) == band[3:]).all())
    True
    """
    return np.ascontiguousarray(unwrap(piece)[-3:])
