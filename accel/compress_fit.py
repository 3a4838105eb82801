"""Power-law fits of run time against problem size, and extrapolation from them.

A naive implementation is timed at a few small sizes; ``time = c * size**p`` is
fitted by least squares on ``log(time) = log(c) + p * log(size)`` and used to say
how long it would take at a size too large to run.  The fit quality travels with
the extrapolation so a reader can judge how far to trust it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["PowerLawFit", "fit_power_law", "power_law_through", "size_for_seconds"]


@dataclass(frozen=True)
class PowerLawFit:
    """``time_s = c * size**p`` fitted in log-log space.

    Attributes
    ----------
    p
        Fitted exponent.
    c
        Fitted prefactor, in seconds per ``size**p``.
    r2
        Coefficient of determination of the straight line in log-log space.
    max_rel_residual
        Largest ``|measured / fitted - 1|`` over the fitted points.
    p_stderr
        Standard error of ``p`` (``nan`` with only two points).
    sizes
        The sizes that were fitted.
    times_s
        The times that were fitted, in seconds.
    """

    p: float
    c: float
    r2: float
    max_rel_residual: float
    p_stderr: float
    sizes: tuple[float, ...]
    times_s: tuple[float, ...]

    def predict(self, size: float) -> float:
        """Extrapolated time in seconds at ``size``.

        Examples
        --------
        >>> fit = fit_power_law([10, 20, 40], [1.0, 4.0, 16.0])
        >>> round(fit.predict(80), 6)
        64.0
        """
        return self.c * float(size) ** self.p

    def to_dict(self) -> dict:
        """JSON-ready copy of the fit."""
        out = asdict(self)
        out["sizes"] = list(self.sizes)
        out["times_s"] = list(self.times_s)
        return out


def fit_power_law(sizes: Sequence[float], times_s: Sequence[float]) -> PowerLawFit:
    """Fit ``time_s = c * size**p`` by least squares on the logarithms.

    Parameters
    ----------
    sizes
        Problem sizes, at least two distinct positive values.
    times_s
        Measured times in seconds, positive, one per size.

    Returns
    -------
    PowerLawFit

    Raises
    ------
    ValueError
        When there are fewer than two distinct sizes, a size or time is not a
        positive finite number, or the two sequences differ in length.

    Examples
    --------
    >>> fit = fit_power_law([100, 1000, 10000], [0.01, 1.0, 100.0])
    >>> round(fit.p, 9), round(fit.c, 15), fit.r2
    (2.0, 1e-06, 1.0)
    """
    x = np.asarray(sizes, dtype=np.float64)
    y = np.asarray(times_s, dtype=np.float64)
    if x.ndim != 1 or y.shape != x.shape:
        raise ValueError(
            f"sizes and times_s must be 1-d sequences of the same length; got {x.shape} and {y.shape}"
        )
    if not np.all(np.isfinite(x)) or np.any(x <= 0):
        raise ValueError(f"sizes must be positive finite numbers; got {x.tolist()}")
    if not np.all(np.isfinite(y)) or np.any(y <= 0):
        raise ValueError(f"times_s must be positive finite numbers; got {y.tolist()}")
    if np.unique(x).size < 2:
        raise ValueError(f"sizes must hold at least two distinct values; got {x.tolist()}")
    lx, ly = np.log(x), np.log(y)
    design = np.column_stack([np.ones_like(lx), lx])
    (log_c, p), *_ = np.linalg.lstsq(design, ly, rcond=None)
    fitted = log_c + p * lx
    ss_res = float(np.sum((ly - fitted) ** 2))
    ss_tot = float(np.sum((ly - ly.mean()) ** 2))
    # All times equal and sizes distinct: a flat line fits exactly.
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0
    max_rel = float(np.max(np.abs(np.exp(ly - fitted) - 1.0)))
    dof = x.size - 2
    if dof > 0:
        sxx = float(np.sum((lx - lx.mean()) ** 2))
        p_stderr = math.sqrt(ss_res / dof / sxx)
    else:
        p_stderr = math.nan
    return PowerLawFit(
        p=float(p),
        c=float(math.exp(log_c)),
        r2=float(r2),
        max_rel_residual=max_rel,
        p_stderr=p_stderr,
        sizes=tuple(float(v) for v in x),
        times_s=tuple(float(v) for v in y),
    )


def power_law_through(size: float, time_s: float, p: float) -> PowerLawFit:
    """The line of exponent ``p`` through one measured point (no fit quality: ``nan``).

    Used to ask what an extrapolation would say if the exponent were the one the
    algorithm should have rather than the fitted one.

    Examples
    --------
    >>> line = power_law_through(3000, 3.0, 2.0)
    >>> round(line.predict(6000), 9)
    12.0
    """
    if not (size > 0 and time_s > 0 and math.isfinite(p)):
        raise ValueError(
            f"size and time_s must be positive and p finite; got {size}, {time_s} s, p={p}"
        )
    return PowerLawFit(
        p=float(p), c=float(time_s) / float(size) ** p, r2=math.nan, max_rel_residual=math.nan,
        p_stderr=math.nan, sizes=(float(size),), times_s=(float(time_s),),
    )  # fmt: skip


def _round_up(value: float, significant: int) -> int:
    """Smallest integer >= value with at most ``significant`` significant digits."""
    if value <= 1:
        return 1
    step = 10 ** max(0, math.floor(math.log10(value)) - significant + 1)
    return int(math.ceil(value / step) * step)


def size_for_seconds(fit: PowerLawFit, seconds: float, *, significant: int = 2) -> int:
    """Smallest round size whose extrapolated time is at least ``seconds``.

    Parameters
    ----------
    fit
        The fit to invert; its exponent must be positive.
    seconds
        The wanted run time of the fitted implementation.
    significant
        The size is rounded up to this many significant digits, so reports show
        sizes like 7,400,000 rather than 7,391,204.

    Returns
    -------
    int
        A size ``n`` with ``fit.predict(n) >= seconds``.

    Raises
    ------
    ValueError
        When ``seconds`` is not positive or the fitted exponent is not positive
        (the time would not grow with the size).

    Examples
    --------
    >>> fit = fit_power_law([100, 1000, 10000], [0.01, 1.0, 100.0])
    >>> size_for_seconds(fit, 86400.0)
    300000
    """
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"seconds must be a positive finite time; got {seconds!r} s")
    if not fit.p > 0:
        raise ValueError(
            f"fit exponent p must be positive to pick a size for a target time; got p={fit.p:.3g}"
        )
    exact = (seconds / fit.c) ** (1.0 / fit.p)
    size = _round_up(exact, significant)
    # Floating round-off in the inversion must not leave us a hair under the target.
    while fit.predict(size) < seconds:
        size = _round_up(size * (1 + 10.0**-significant), significant)
    return size
