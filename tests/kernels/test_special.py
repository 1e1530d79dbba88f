"""kernels.special: erf against its math.erf reference on awkward shapes and values."""

import numpy as np
import pytest

from chaingrad.kernels.special import erf, erf_reference


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (1,), (7,), (3, 1, 5), (0, 4)])
def test_erf_matches_reference(dtype, shape):
    x = np.random.default_rng(0).normal(scale=3.0, size=shape).astype(dtype)
    got = erf(x)
    assert got.dtype == dtype and got.shape == shape
    np.testing.assert_allclose(got, erf_reference(x), rtol=1e-6, atol=1e-7)


def test_erf_on_a_strided_view_and_special_values():
    x = np.array([[-np.inf, -1e4, 0.0], [1e-8, 1e4, np.inf]])[:, ::2]  # not contiguous
    np.testing.assert_array_equal(erf(x), erf_reference(x))
    assert np.isnan(erf(np.array([np.nan])))[0]


def test_erf_refuses_integers():
    with pytest.raises(TypeError, match="erf: needs a float32 or float64"):
        erf(np.arange(3))
