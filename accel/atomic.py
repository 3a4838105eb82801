"""Write outputs so that readers see the old file, the complete new one, or nothing.

Everything is written under a temporary name beside the target (same filesystem)
and renamed into place only once complete.  An existing target is refused unless
the caller asks to overwrite it, so no result is ever lost silently.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_output", "check_writable"]


def check_writable(
    path: str | os.PathLike, *, overwrite: bool = False, what: str = "output"
) -> Path:
    """Raise ``FileExistsError`` when ``path`` exists and ``overwrite`` is false.

    Call it before expensive work, so a mistake shows before the compute.

    Examples
    --------
    >>> import tempfile
    >>> check_writable(Path(tempfile.mkdtemp()) / "new.parquet").name
    'new.parquet'
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(
            f"{what} {str(path)!r} already exists; pass overwrite=True (--overwrite on the "
            "command line) to replace it, or choose another path"
        )
    if not path.parent.exists():
        raise FileNotFoundError(f"{what} directory {str(path.parent)!r} does not exist")
    return path


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike, *, overwrite: bool = False, what: str = "output"
) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place if the block succeeds.

    Works for files and directories (Zarr stores, partitioned Parquet).  On error the
    temporary is removed and an existing target is left untouched.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_output(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    path = check_writable(path, overwrite=overwrite, what=what)
    token = uuid.uuid4().hex[:8]
    tmp = path.with_name(f".{path.name}.tmp-{token}")
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"nothing was written to the temporary {str(tmp)!r}")
        if path.exists():
            if not overwrite:  # appeared while we were writing
                raise FileExistsError(f"{what} {str(path)!r} appeared while it was being written")
            old = path.with_name(f".{path.name}.old-{token}")
            os.replace(path, old)
            os.replace(tmp, path)
            _remove(old)
        else:
            os.replace(tmp, path)
    finally:
        if tmp.exists() or tmp.is_symlink():
            _remove(tmp)
