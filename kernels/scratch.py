"""Accumulators that live in registers: ``scratch(like, size)``, a small array on the stack.

numba puts ``np.empty`` on the heap. LLVM cannot prove that such an array and a kernel's
argument arrays do not overlap, so a loop that adds into it loads and stores it on every pass.
An array on the stack (an ``alloca`` in the calling function) that is never handed out cannot
overlap anything, so LLVM keeps it in vector registers for the whole loop and writes it once at
the end: ``taps.tap_tile8`` adds 8 × 48 sums over every tap that way (145 against 85 GFLOP/s for
the same sums kept in a heap array, one thread; the numbers are in its docstring).

In compiled code ``size`` must be a constant (an integer literal or a module-level int): the
array is reserved once, on entry to the function it is inlined into, and lives as long as that
call. Do not return it or keep it past the call. Under ``NUMBA_DISABLE_JIT`` it is
``np.empty``.
"""

from __future__ import annotations

import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, overload


def scratch(like: np.ndarray, size: int) -> np.ndarray:
    """An uninitialised 1-D array of ``size`` elements of like's dtype (on the stack when
    compiled; ``size`` a constant)."""
    return np.empty(size, like.dtype)


@intrinsic
def _stack_array(typingctx, like, size):
    """A C-contiguous 1-D array of like's dtype over ``size`` elements reserved on the stack."""
    if not isinstance(size, types.IntegerLiteral) or size.literal_value <= 0:
        return None
    count, dtype = size.literal_value, like.dtype
    array_type = types.Array(dtype, 1, "C")

    def codegen(context, builder, signature, args):
        item = context.get_value_type(dtype)
        data = cgutils.alloca_once(builder, item, size=count)  # in the entry block: reserved once
        array = context.make_array(array_type)(context, builder)
        itemsize = context.get_constant(types.intp, context.get_abi_sizeof(item))
        context.populate_array(
            array,
            data=data,
            shape=[context.get_constant(types.intp, count)],
            strides=[itemsize],
            itemsize=itemsize,
            meminfo=None,  # not reference counted: it goes away with the call's stack frame
        )
        return array._getvalue()

    return array_type(like, size), codegen


@overload(scratch, inline="always", prefer_literal=True)
def _scratch_compiled(like, size):
    """Compiled ``scratch``: inlined into its caller, so the stack array is the caller's."""
    if not isinstance(size, types.IntegerLiteral):
        raise TypeError("scratch: size must be a constant in compiled code")

    def impl(like, size):
        return _stack_array(like, size)

    return impl
