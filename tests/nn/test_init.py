"""nn.init: the distributions PyTorch uses, reproducible with a seed or a Generator."""

import math

import numpy as np
import pytest

import chaingrad.nn as nn
from chaingrad.autograd import Tensor


def _big(*shape):
    return Tensor(np.zeros(shape, np.float32))


def test_xavier_and_kaiming_have_the_documented_spread():
    fan_in, fan_out = 400, 300
    t = nn.init.xavier_uniform_(_big(fan_out, fan_in), seed=0)
    bound = math.sqrt(6 / (fan_in + fan_out))
    assert (
        np.abs(t.numpy()).max() <= bound
        and abs(t.numpy().std() - bound / math.sqrt(3)) < 0.01 * bound
    )
    t = nn.init.xavier_normal_(_big(fan_out, fan_in), gain=2.0, seed=0)
    assert abs(t.numpy().std() - 2 * math.sqrt(2 / (fan_in + fan_out))) < 0.005
    t = nn.init.kaiming_normal_(_big(fan_out, fan_in), seed=0)
    assert abs(t.numpy().std() - math.sqrt(2 / fan_in)) < 0.002  # He: √(2/fan_in), not 2/√fan_in
    t = nn.init.kaiming_uniform_(_big(64, 16, 3, 3), nonlinearity="tanh", mode="fan_out", seed=0)
    assert abs(t.numpy().std() - (5 / 3) / math.sqrt(64 * 9)) < 0.003


def test_simple_fills_and_fans():
    t = _big(3, 4)
    assert (nn.init.ones_(t).numpy() == 1).all() and (nn.init.zeros_(t).numpy() == 0).all()
    t = nn.init.uniform_(_big(1000), -2, 3, seed=1)
    assert t.numpy().min() >= -2 and t.numpy().max() <= 3 and t.dtype == np.float32
    t = nn.init.normal_(_big(20000), 5.0, 0.5, seed=1)
    assert abs(t.numpy().mean() - 5) < 0.02 and abs(t.numpy().std() - 0.5) < 0.02
    assert nn.init.fans(_big(8, 3, 5, 5)) == (75, 200)
    with pytest.raises(ValueError, match="at least 2 axes"):
        nn.init.xavier_uniform_(_big(5))
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))


def test_seed_and_generator_reproduce_draws():
    a = nn.init.normal_(_big(10), seed=7).numpy().copy()
    b = nn.init.normal_(_big(10), seed=7).numpy()
    np.testing.assert_array_equal(a, b)
    g1, g2 = np.random.default_rng(3), np.random.default_rng(3)
    np.testing.assert_array_equal(
        nn.init.uniform_(_big(5), seed=g1).numpy(), nn.init.uniform_(_big(5), seed=g2).numpy()
    )
    nn.manual_seed(11)
    first = nn.init.normal_(_big(4)).numpy().copy()
    nn.manual_seed(11)
    np.testing.assert_array_equal(first, nn.init.normal_(_big(4)).numpy())
