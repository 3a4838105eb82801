"""Non-temporal (streaming) stores for Numba kernels that write large outputs once.

A normal store to a line that is not in cache first reads the line from memory
(write-allocate), so writing an output array costs two memory transfers per
byte.  A non-temporal store (x86 ``vmovntpd``) writes whole lines straight to
memory through write-combining buffers and skips that read: for a stencil that
reads two arrays and writes one, the bus traffic falls from 4 to 3 transfers
per point.  The written lines are not left in cache, so this only pays for
outputs too large to stay there until they are next read.

:func:`stream_store` is an ordinary element store marked ``!nontemporal`` and
declared 32-byte aligned, so LLVM's loop vectoriser turns a loop of them into
aligned ``vmovntpd`` stores of 4 doubles.  The caller must start such a loop at
a 32-byte aligned element and run it a multiple of 4 elements
(:func:`aligned_start` finds the start); elements before and after take normal
stores.  Streaming stores are weakly ordered: a kernel calls
:func:`store_fence` after its last one, before other threads read the output.

Whether to stream has to be measured per kernel and machine.  By the rule
memcpy implementations use, an output too large for the last-level cache gains
from skipping the read, but ``hdiff`` measured slower with streaming stores at
every size tried, while ``vadv``, whose output lines would take cache space from its
Thomas scratch, gains even on cache-sized outputs (see :mod:`.canonical`).
"""

from __future__ import annotations

from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

__all__ = [
    "STREAM_ALIGN_BYTES",
    "aligned_start",
    "stream_store",
    "store_fence",
]

STREAM_ALIGN_BYTES = 32


@intrinsic
def stream_store(typingctx, arr, idx, value):
    """``arr[idx] = value`` with a non-temporal store; ``arr`` 1-D contiguous float64.

    ``&arr[idx]`` must be aligned to :data:`STREAM_ALIGN_BYTES` wherever the loop
    around it is vectorised (see the module docstring); no bounds check.
    """
    if not (isinstance(arr, types.Array) and arr.ndim == 1 and arr.dtype == types.float64):
        return None
    sig = types.void(arr, types.intp, types.float64)

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = builder.gep(ary.data, [args[1]])
        st = builder.store(args[2], ptr, align=STREAM_ALIGN_BYTES)
        st.set_metadata("nontemporal", builder.module.add_metadata([ir.IntType(32)(1)]))
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def store_fence(typingctx):
    """A full memory fence: orders earlier non-temporal stores before later accesses."""
    sig = types.void()

    def codegen(context, builder, signature, args):
        builder.fence("seq_cst")
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True)
def aligned_start(row, lo, hi):
    """First index ``i`` in ``lo .. hi`` with ``&row[i]`` 32-byte aligned (``hi`` if none).

    ``row`` is 1-D contiguous float64.  An array whose elements are not 8-byte
    aligned never reaches alignment: the answer is then ``hi`` (all normal stores).

    Examples
    --------
    >>> import numpy as np
    >>> row = np.zeros(16)
    >>> i = aligned_start(row, 0, 16)
    >>> (row[i:].ctypes.data % 32, 0 <= i < 4)
    (0, True)
    """
    addr = row.ctypes.data + 8 * lo
    if addr & 7:
        return hi
    return min(
        hi,
        lo
        + ((STREAM_ALIGN_BYTES - (addr & (STREAM_ALIGN_BYTES - 1))) & (STREAM_ALIGN_BYTES - 1))
        // 8,
    )
