"""Hypothesis strategies for tensor tests: shapes from hypothesis, values from a seeded normal.

Values are drawn from a continuous distribution (not by hypothesis, which likes 0.0 and repeated
values) so that gradchecks stay away from the kinks of relu/abs and the ties of max.
"""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

from chaingrad.autograd import Tensor

SMALL = {"min_dims": 0, "max_dims": 3, "min_side": 1, "max_side": 4}

shapes = array_shapes(**SMALL)
nonscalar_shapes = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
broadcast_pairs = mutually_broadcastable_shapes(num_shapes=2, **SMALL)
seeds = st.integers(0, 2**32 - 1)


def leaf(shape, seed, low=None, name="", away_from_zero=False):
    """A float64 leaf that requires grad, with standard-normal values (or positive ones)."""
    rng = np.random.default_rng(seed)
    data = rng.standard_normal(shape)
    if low is not None:
        data = low + np.abs(data)
    if away_from_zero:
        data = np.where(data >= 0, data + 0.5, data - 0.5)
    return Tensor(data, requires_grad=True, name=name)


@st.composite
def axes_for(draw, ndim):
    """An axis argument for a tensor with ``ndim`` axes: None, an int or a tuple, negatives too."""
    if ndim == 0:
        return None
    choice = draw(st.sampled_from(["none", "int", "tuple"]))
    if choice == "none":
        return None
    if choice == "int":
        return draw(st.integers(-ndim, ndim - 1))
    picked = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(a - ndim if draw(st.booleans()) else a for a in picked)
