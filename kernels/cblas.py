"""BLAS from inside compiled kernels: ``call_gemm``, NumPy's own ``cblas_?gemm`` called by address.

The fused LSTM sweeps and the Winograd lanes make their matrix products between loops of their
own, without returning to Python: the product runs in NumPy's OpenBLAS (``blas.gemm_address``
finds it), single-threaded by the caller, and the kernel around it keeps the GIL released.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.extending import intrinsic


@intrinsic
def call_gemm(typingctx, fn, trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc):
    """c = op(a) @ op(b) + beta·c through cblas_?gemm at address ``fn`` (row-major; op(a) = aᵀ
    if ``trans_a``: a is then k × m; op(b) = bᵀ if ``trans_b``: b is then n × k).

    Pointers and the address come in as integers (``arr.ctypes.data``): the address is an
    argument rather than a constant, so the kernels that call it stay cacheable. The BLAS takes
    64-bit integers (NumPy's OpenBLAS is ILP64) and the float type of ``beta``."""
    sig = types.void(fn, trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc)

    def codegen(context, builder, signature, args):
        args = list(args)
        for i in (3, 4, 5, 7, 9, 12):  # m, n, k and the leading dimensions as 64-bit ints
            args[i] = context.cast(builder, args[i], signature.args[i], types.int64)
        fn, trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc = args
        flt = context.get_value_type(signature.args[10])
        i32, i64, ptr = ir.IntType(32), ir.IntType(64), flt.as_pointer()
        args_ty = [i32, i32, i32, i64, i64, i64, flt, ptr, i64, ptr, i64, flt, ptr, i64]
        call = builder.inttoptr(fn, ir.FunctionType(ir.VoidType(), args_ty).as_pointer())
        row_major, no_trans, trans = (ir.Constant(i32, v) for v in (101, 111, 112))  # CBLAS
        flags = (context.cast(builder, v, signature.args[i], types.boolean) for i, v in
                 ((1, trans_a), (2, trans_b)))  # fmt: skip
        op_a, op_b = (builder.select(f, trans, no_trans) for f in flags)
        a, b, c = (builder.inttoptr(p, ptr) for p in (a, b, c))
        one = ir.Constant(flt, 1.0)
        builder.call(call, [row_major, op_a, op_b, m, n, k, one, a, lda, b, ldb, beta, c, ldc])
        return context.get_dummy_value()

    return sig, codegen
