"""Report files of ``accel compress``: their paths, overwrite refusal and atomic writes.

A report appears all at once or not at all: it is written to a temporary file in the
same folder, then renamed over (``--overwrite``) or hard-linked into place, which
refuses an existing file atomically.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["REPORT_SUFFIXES", "refuse_existing", "report_paths", "write_atomic"]

REPORT_SUFFIXES: tuple[str, ...] = (".md", ".json", ".png")


def report_paths(out_dir: str | os.PathLike, stem: str) -> dict[str, Path]:
    """Suffix -> path of each report file, e.g. ``{".md": out_dir/"skymatch.md", ...}``."""
    return {suffix: Path(out_dir) / f"{stem}{suffix}" for suffix in REPORT_SUFFIXES}


def refuse_existing(paths: Sequence[Path], overwrite: bool) -> None:
    """Raise ``FileExistsError`` naming the report files that exist, unless ``overwrite``."""
    existing = [str(p) for p in paths if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(
            f"report files already exist and overwrite is off: {', '.join(existing)}; "
            "pass --overwrite or choose another --out"
        )


def write_atomic(path: str | os.PathLike, data: bytes, *, overwrite: bool = False) -> None:
    """Write ``data`` to ``path`` all at once: readers see the old file or the new one.

    Raises ``FileExistsError`` when ``path`` exists and ``overwrite`` is false.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
    >>> write_atomic(target, b"hello")
    >>> target.read_bytes()
    b'hello'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                # link() refuses an existing target atomically, unlike replace().
                os.link(tmp, path)
            except FileExistsError:
                raise FileExistsError(
                    f"{path} already exists and overwrite is off; pass --overwrite or choose another --out"
                ) from None
            except OSError:  # a filesystem without hard links
                if path.exists():
                    raise FileExistsError(f"{path} already exists and overwrite is off") from None
                os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
