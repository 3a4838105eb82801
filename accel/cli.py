"""The ``accel`` command line.

Subcommands are found through the ``accel.commands`` entry-point group, so the
engine never imports domain code.  Each entry point names a ``register(subparsers)``
function that adds one subparser and sets ``func`` on it.  A workload that fails
to load is reported as a warning instead of breaking every other command.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points

ENTRY_POINT_GROUP = "accel.commands"

# Engine-level commands that live in accel itself (domain-free).
_BUILTIN: dict[str, str] = {"compress": "accel.compress_cli:register"}


def _load(target: str) -> Callable[[argparse._SubParsersAction], None]:
    module_name, _, attr = target.partition(":")
    module = __import__(module_name, fromlist=[attr])
    return getattr(module, attr)


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="accel",
        description="Numba + Dask acceleration of scientific pipelines.",
        epilog="example:\n  accel skymatch hipparcos gaia-bright --radius 1arcsec --epoch 2016.0",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    registered: dict[str, str] = dict(_BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        registered.setdefault(ep.name, ep.value)
    for name, target in sorted(registered.items()):
        try:
            _load(target)(sub)
        except Exception as exc:  # a broken plugin must not break the others
            warnings.warn(f"accel: could not load command {name!r} ({target}): {exc}", stacklevel=1)
    parser.known_commands = sorted(sub.choices)  # type: ignore[attr-defined]
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``accel`` command line; returns the process exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and not argv[0].startswith("-") and argv[0] not in parser.known_commands:
        known = ", ".join(parser.known_commands)
        parser.error(f"unknown command {argv[0]!r}; known commands: {known}")
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileExistsError, FileNotFoundError, KeyError) as exc:
        print(f"accel {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
