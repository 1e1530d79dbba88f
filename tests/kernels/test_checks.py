"""The kernels' shared layout helpers (``kernels/checks.py``)."""

from __future__ import annotations

import numpy as np
import pytest

from chaingrad.kernels.checks import TRANSPOSE_BLOCK, transposed


@pytest.mark.parametrize(
    "shape", [(1, 1), (3, 5), (64, 7), (65, 3), (128, 2), (200, 33), (2048, 512), (130, 0)]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transposed_is_a_contiguous_copy_of_the_transpose(shape, dtype):
    """Whole matrices, one block, a last block cut short, strided input: a.T, C-contiguous;
    a copy unless a.T is C-contiguous already (a Fortran-ordered a)."""
    assert TRANSPOSE_BLOCK == 64  # the shapes straddle it
    a = np.random.default_rng(sum(shape)).standard_normal(shape).astype(dtype)
    for source in (a, np.asfortranarray(a), a[::1, ::-1]):
        got = transposed(source)
        np.testing.assert_array_equal(got, source.T)
        assert got.flags.c_contiguous and got.dtype == dtype
        if source.size:  # empty arrays share no memory
            assert np.shares_memory(got, source) == source.T.flags.c_contiguous
