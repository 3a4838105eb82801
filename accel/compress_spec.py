"""What a workload hands to ``accel compress``: its implementations, inputs and comparator.

A workload declares a :class:`CompressionSpec` and names a zero-argument function
returning it in the ``accel.compressions`` entry-point group.  The engine finds
specs only through that group, so it never imports domain code.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from accel.compress_fit import PowerLawFit, size_for_seconds

__all__ = [
    "dask_implementation",
    "ENTRY_POINT_GROUP",
    "ROLES",
    "CompressionSpec",
    "Implementation",
    "LoadedSpec",
    "load_specs",
]

ENTRY_POINT_GROUP = "accel.compressions"

# In the order a report lists them.  "naive" is the code as first written, "baseline"
# what a user would pick today, "ours" Numba in one process, "ours-dask" the Dask path.
ROLES: tuple[str, ...] = ("naive", "baseline", "ours", "ours-dask")


@dataclass(frozen=True)
class Implementation:
    """One way of computing a workload's answer.

    Parameters
    ----------
    name
        Label shown in reports, e.g. ``"astropy search_around_sky"``.
    role
        One of :data:`ROLES`.
    run
        ``run(inputs) -> output``; ``None`` when the implementation is unavailable.
    unavailable
        Why it cannot run here (e.g. ``"workloads.skymatch.distributed is not
        written yet"``); required when ``run`` is ``None``.
    warmup
        Time one extra call before the measured repeats at the full size and report
        it separately.  Defaults to ``True`` for the compiled roles (``ours``,
        ``ours-dask``) and ``False`` otherwise.
    session
        Zero-argument callable returning a context manager entered once before the
        first call and left after the last (e.g. starting a Dask cluster); its start
        time is reported, never counted in a measurement.
    max_size
        Largest size this implementation may be run at (memory); larger sizes are
        skipped with that reason in the report.

    Examples
    --------
    >>> impl = Implementation("sorted", "baseline", run=sorted)
    >>> impl.available, impl.wants_warmup
    (True, False)
    """

    name: str
    role: str
    run: Callable[[Any], Any] | None = None
    unavailable: str | None = None
    warmup: bool | None = None
    session: Callable[[], AbstractContextManager] | None = None
    max_size: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"name must be a non-empty str; got {self.name!r}")
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {list(ROLES)}; got {self.role!r}")
        if self.run is None and not self.unavailable:
            raise ValueError(
                f"implementation {self.name!r} has no run callable, so unavailable must say why"
            )
        if self.run is not None and not callable(self.run):
            raise TypeError(f"run must be callable; got {type(self.run).__name__}")
        if self.max_size is not None and self.max_size < 1:
            raise ValueError(f"max_size must be a positive size; got {self.max_size}")

    @property
    def available(self) -> bool:
        """Whether there is something to run."""
        return self.run is not None

    @property
    def wants_warmup(self) -> bool:
        """Whether a warm-up call precedes the measured repeats."""
        if self.warmup is not None:
            return self.warmup
        return self.role in ("ours", "ours-dask")


def dask_implementation(label: str, run: Callable[[Any, Any], Any]) -> Implementation:
    """An ``ours-dask`` implementation whose calls share one embedded ``LocalCluster``.

    ``run(inputs, client)`` does one call; the cluster is started once per
    measurement session, so its start-up is reported, not timed.

    Examples
    --------
    >>> impl = dask_implementation("demo (Dask)", lambda inputs, client: inputs)
    >>> impl.role
    'ours-dask'
    """
    held: dict[str, Any] = {}

    @contextlib.contextmanager
    def session() -> Iterator[Any]:
        from accel.cluster import get_client

        with get_client(dashboard=False, quiet=True) as client:
            held["client"] = client
            try:
                yield client
            finally:
                held.clear()

    def call(inputs: Any) -> Any:
        if "client" not in held:
            raise RuntimeError(
                f"{label} needs its Dask session: call it inside `with impl.session():`"
            )
        return run(inputs, held["client"])

    return Implementation(label, "ours-dask", run=call, session=session)


def _default_size_for_seconds(fit: PowerLawFit, seconds: float) -> int:
    return size_for_seconds(fit, seconds)


@dataclass(frozen=True)
class CompressionSpec:
    """A workload's contribution to ``accel compress``.

    Parameters
    ----------
    name
        Workload name (``"skymatch"``), used on the command line.
    task
        One line saying what every implementation computes.
    size_unit
        What a size counts, e.g. ``"sources per catalog"``.
    make_inputs
        ``make_inputs(size, seed) -> inputs``; the same arguments give the same inputs.
    implementations
        Exactly one ``naive`` implementation, plus any of the other roles.
    equal
        ``equal(a, b) -> bool``: whether two outputs are the same answer.
    equality_rule
        How ``equal`` decides, in words, for the report ("pair sets compared exactly").
    naive_sizes
        At least three distinct sizes at which the naive implementation is timed.
    full_size
        Default size at which the other implementations are measured.
    max_full_size
        Largest full size allowed (memory); a larger target is capped to it and the
        report says so, with ``max_full_size_reason``.
    expected_exponent
        The exponent the naive algorithm should show (2 for a double loop), printed
        next to the fitted one as a sanity check.
    size_for_seconds
        ``size_for_seconds(fit, seconds) -> size`` picks the full size for a target
        naive time per call; defaults to inverting the fit and rounding up.
    repetitions
        For tasks made of identical repetitions (time steps) of which each call runs
        one: ``repetitions(size) -> count`` for the whole task at that size.  Reports
        then show the measured time per call and the whole-task time (per call times
        the count), the latter labelled extrapolated.  ``None``: one call is the task.
    repetitions_unit
        What a repetition is, e.g. ``"time steps of a 10-day forecast"``.
    describe_size
        ``describe_size(size) -> str`` for reports, e.g. ``"0.25 deg grid"``.

    Examples
    --------
    >>> spec = CompressionSpec(
    ...     name="sort",
    ...     task="sort a list of floats",
    ...     size_unit="items",
    ...     make_inputs=lambda n, seed: [float((i * 7919 + seed) % n) for i in range(n)],
    ...     implementations=(Implementation("sorted", "naive", run=sorted),),
    ...     equal=lambda a, b: a == b,
    ...     equality_rule="lists compared exactly",
    ...     naive_sizes=(100, 200, 400),
    ...     full_size=1000,
    ... )
    >>> spec.naive.name
    'sorted'
    """

    name: str
    task: str
    size_unit: str
    make_inputs: Callable[[int, int], Any]
    implementations: Sequence[Implementation]
    equal: Callable[[Any, Any], bool]
    equality_rule: str
    naive_sizes: Sequence[int]
    full_size: int
    max_full_size: int | None = None
    max_full_size_reason: str = ""
    expected_exponent: float | None = None
    size_for_seconds: Callable[[PowerLawFit, float], int] = field(default=_default_size_for_seconds)
    repetitions: Callable[[int], int] | None = None
    repetitions_unit: str = ""
    describe_size: Callable[[int], str] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"name must be a short identifier like 'skymatch'; got {self.name!r}")
        impls = tuple(self.implementations)
        for impl in impls:
            if not isinstance(impl, Implementation):
                raise TypeError(
                    f"implementations must hold Implementation objects; got {type(impl).__name__}"
                )
        naive = [impl for impl in impls if impl.role == "naive"]
        if len(naive) != 1 or not naive[0].available:
            raise ValueError(
                f"spec {self.name!r} must have exactly one available naive implementation; "
                f"got {len(naive)}"
            )
        names = [impl.name for impl in impls]
        if len(set(names)) != len(names):
            raise ValueError(f"implementation names must be unique; got {names}")
        sizes = tuple(int(s) for s in self.naive_sizes)
        if len(set(sizes)) < 3 or min(sizes) < 1:
            raise ValueError(
                f"naive_sizes must hold at least three distinct positive sizes; got {list(sizes)}"
            )
        if int(self.full_size) < 1:
            raise ValueError(f"full_size must be a positive size; got {self.full_size}")
        if self.max_full_size is not None and self.max_full_size < self.full_size:
            raise ValueError(
                f"max_full_size must be at least full_size ({self.full_size}); got {self.max_full_size}"
            )
        for attr in ("make_inputs", "equal", "size_for_seconds", "repetitions", "describe_size"):
            value = getattr(self, attr)
            if value is not None and not callable(value):
                raise TypeError(
                    f"{attr} must be callable; got {type(getattr(self, attr)).__name__}"
                )
        # Frozen dataclass: normalise through object.__setattr__.
        object.__setattr__(self, "implementations", impls)
        object.__setattr__(self, "naive_sizes", tuple(sorted(set(sizes))))
        object.__setattr__(self, "full_size", int(self.full_size))

    @property
    def naive(self) -> Implementation:
        """The naive implementation."""
        return next(impl for impl in self.implementations if impl.role == "naive")


@dataclass(frozen=True)
class LoadedSpec:
    """The outcome of loading one entry point: a spec, or why there is none."""

    name: str
    spec: CompressionSpec | None
    error: str | None = None


def _resolve(name: str, obj: Any) -> CompressionSpec:
    spec = obj() if callable(obj) and not isinstance(obj, CompressionSpec) else obj
    if not isinstance(spec, CompressionSpec):
        raise TypeError(
            f"entry point {name!r} must give a CompressionSpec or a function returning one; "
            f"got {type(spec).__name__}"
        )
    return spec


def load_specs(
    names: Sequence[str] | None = None,
    *,
    extra: dict[str, Any] | None = None,
) -> list[LoadedSpec]:
    """Load compression specs from the ``accel.compressions`` entry-point group.

    Parameters
    ----------
    names
        Workloads to load, in this order; all registered ones (sorted) when ``None``.
    extra
        Name -> spec (or zero-argument function returning one) added to, and taking
        precedence over, the registered ones; tests use it for small fake workloads.

    Returns
    -------
    list of LoadedSpec
        A workload that fails to load gets ``spec=None`` and the reason, and a
        warning is issued, so one broken workload does not hide the others.

    Raises
    ------
    ValueError
        When a requested name is not registered; the message lists the known names.

    Examples
    --------
    >>> [loaded.name for loaded in load_specs()] == sorted(loaded.name for loaded in load_specs())
    True
    """
    registered: dict[str, Any] = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    registered.update(extra or {})
    if names is None:
        names = sorted(registered)
    unknown = [name for name in names if name not in registered]
    if unknown:
        raise ValueError(
            f"unknown workload {unknown[0]!r}; known workloads: {', '.join(sorted(registered))}"
        )
    loaded: list[LoadedSpec] = []
    for name in names:
        target = registered[name]
        try:
            obj = target.load() if hasattr(target, "load") and hasattr(target, "group") else target
            loaded.append(LoadedSpec(name, _resolve(name, obj)))
        except Exception as exc:  # a broken workload must not break the others
            reason = f"{type(exc).__name__}: {exc}"
            warnings.warn(
                f"accel compress: workload {name!r} is unavailable ({reason})", stacklevel=2
            )
            loaded.append(LoadedSpec(name, None, reason))
    return loaded
