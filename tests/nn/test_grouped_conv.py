"""Grouped and depthwise convolution (``groups=``): gradchecks in float64, PyTorch parity,
errors, state dicts, export and the summary's parameter and multiply-add columns."""

import numpy as np
import pytest

import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.autograd import Tensor, gradcheck

# x shape, out channels, kernel, stride, padding, groups
CASES = [
    ((2, 4, 6, 5), 6, (3, 3), 1, 1, 2),  # two groups
    ((1, 3, 5, 5), 3, (3, 3), 1, 0, 3),  # depthwise, one filter per channel
    ((2, 3, 7, 6), 6, (3, 2), (2, 1), (1, 0), 3),  # depthwise multiplier 2, strided
    ((3, 6, 4, 4), 4, (1, 1), 1, 0, 2),  # grouped 1×1 (ShuffleNet's pointwise)
    ((1, 2, 5, 4), 4, (2, 3), 2, 1, 1),  # groups=1 is the ordinary convolution
]


def _leaf(shape, seed):
    return Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


@pytest.mark.parametrize("x_shape, out, kernel, stride, padding, groups", CASES)
def test_grouped_conv2d_gradchecks(x_shape, out, kernel, stride, padding, groups):
    x = _leaf(x_shape, 1)
    w = _leaf((out, x_shape[1] // groups, *kernel), 2)
    b = _leaf((out,), 3)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding, 1, groups), x, w, b)
    assert gradcheck(
        lambda x, w: F.conv2d(x, w, stride=stride, padding=padding, groups=groups), x, w
    )


def test_groups_are_independent_convolutions():
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((2, 4, 5, 5)), rng.standard_normal((6, 2, 3, 3))
    y = F.conv2d(Tensor(x), Tensor(w), groups=2).numpy()
    first = F.conv2d(Tensor(x[:, :2]), Tensor(w[:3])).numpy()
    second = F.conv2d(Tensor(x[:, 2:]), Tensor(w[3:])).numpy()
    np.testing.assert_allclose(y, np.concatenate([first, second], axis=1), atol=1e-12)
    # only the weight's rows of a group move the group's outputs
    x_t, w_t = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    F.conv2d(x_t, w_t, groups=2)[:, :3].sum().backward()
    assert np.all(w_t.grad.numpy()[3:] == 0) and np.any(w_t.grad.numpy()[:3] != 0)
    assert np.all(x_t.grad.numpy()[:, 2:] == 0)


def test_only_the_inputs_that_need_grad_get_one():
    x = Tensor(np.ones((1, 4, 4, 4)), requires_grad=False)
    w, b = _leaf((4, 1, 3, 3), 5), _leaf((4,), 6)
    F.conv2d(x, w, b, padding=1, groups=4).sum().backward()
    assert x.grad is None and w.grad.shape == (4, 1, 3, 3) and b.grad.shape == (4,)
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 16.0))  # Σ g over N, H, W


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 2e-5)])
@pytest.mark.parametrize("groups, out, bias", [(2, 6, True), (4, 8, False), (4, 4, True)])
def test_grouped_conv2d_matches_pytorch(dtype, tol, groups, out, bias):
    torch = pytest.importorskip("torch")
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    theirs = torch.nn.Conv2d(4, out, 3, stride=2, padding=1, groups=groups, bias=bias).to(tdtype)
    ours = nn.Conv2d(4, out, 3, stride=2, padding=1, groups=groups, bias=bias).to(dtype)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()
    }
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(7).standard_normal((3, 4, 7, 6)).astype(dtype)
    xo, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    np.testing.assert_allclose(yo.numpy(), yt.detach().numpy(), rtol=tol, atol=tol)
    upstream = np.random.default_rng(8).standard_normal(yo.shape).astype(dtype)
    yo.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=tol, atol=tol)
    grads = {n: p.grad.numpy() for n, p in theirs.named_parameters()}
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads[name], rtol=tol, atol=tol, err_msg=name)


def test_init_and_repr_follow_pytorch():
    torch = pytest.importorskip("torch")
    layer = nn.Conv2d(8, 16, 3, padding=1, groups=8)
    assert layer.weight.shape == (16, 1, 3, 3)
    # fan-in is in/groups · kh · kw = 9, so the weights are U(±1/3)
    assert np.abs(layer.weight.numpy()).max() <= 1 / 3 and np.abs(layer.weight.numpy()).max() > 0.25
    assert "groups=8" in repr(layer) and "groups" not in repr(nn.Conv2d(8, 16, 3))
    theirs = repr(torch.nn.Conv2d(8, 16, 3, groups=8, bias=False))
    assert theirs.endswith("groups=8, bias=False)")
    assert repr(nn.Conv2d(8, 16, 3, groups=8, bias=False)).endswith("groups=8, bias=False)")


def test_grouped_conv_errors_name_conv2d_and_the_shapes():
    x = Tensor(np.zeros((1, 6, 5, 5)))
    with pytest.raises(ValueError, match=r"conv2d: groups=4 .*\(1, 6, 5, 5\).*\(8, 1, 3, 3\)"):
        F.conv2d(x, Tensor(np.zeros((8, 1, 3, 3))), groups=4)
    with pytest.raises(ValueError, match=r"conv2d: .*groups=3 needs weight \(O, 2, kh, kw\)"):
        F.conv2d(x, Tensor(np.zeros((6, 3, 3, 3))), groups=3)
    with pytest.raises(ValueError, match=r"conv2d: groups=3 .*\(1, 6, 5, 5\).*\(7, 2, 3, 3\)"):
        F.conv2d(x, Tensor(np.zeros((7, 2, 3, 3))), groups=3)
    with pytest.raises(ValueError, match="conv2d: groups must be a positive int, got 0"):
        F.conv2d(x, Tensor(np.zeros((6, 6, 3, 3))), groups=0)
    with pytest.raises(ValueError, match=r"conv2d: bias must have shape \(6,\)"):
        F.conv2d(x, Tensor(np.zeros((6, 2, 3, 3))), Tensor(np.zeros(4)), groups=3)
    with pytest.raises(ValueError, match="conv2d: dilation=2 is not supported"):
        F.conv2d(x, Tensor(np.zeros((6, 6, 3, 3))), dilation=2)
    with pytest.raises(ValueError, match=r"Conv2d: in_channels 6 and out_channels 4 .* groups=3"):
        nn.Conv2d(6, 4, 3, groups=3)
    with pytest.raises(ValueError) as caught:
        F.conv2d(x, Tensor(np.zeros((8, 1, 3, 3))), groups=4)
    assert "\n" not in str(caught.value)  # one line


def test_summary_counts_a_depthwise_separable_block():
    # MobileNet's block: 3×3 depthwise (groups = C) then a 1×1 pointwise convolution
    model = nn.Sequential(
        nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False),
        nn.Conv2d(16, 32, 1, bias=False),
    )
    table = model.summary((1, 16, 10, 10))
    depthwise, pointwise = table.rows
    assert depthwise.parameters == 16 * 1 * 3 * 3
    assert depthwise.mult_adds == 10 * 10 * 16 * (16 // 16) * 3 * 3  # H·W·C_out·(C_in/g)·k²
    assert pointwise.parameters == 32 * 16
    assert pointwise.mult_adds == 10 * 10 * 32 * 16
    assert depthwise.output_bytes == 16 * 10 * 10 * 4
    plain = nn.Conv2d(16, 32, 3, padding=1, bias=False).summary((1, 16, 10, 10))
    # the notes' ratio of the costs: 1/N + 1/k² with N = 32 output channels, k = 3
    assert table.mult_adds / plain.mult_adds == pytest.approx(1 / 32 + 1 / 9)
    assert table.total_parameters / plain.total_parameters == pytest.approx(1 / 32 + 1 / 9)
    grouped = nn.Conv2d(8, 12, 3, groups=4).summary((2, 8, 6, 6))
    assert grouped.total_parameters == 12 * 2 * 9 + 12
    assert grouped.mult_adds == 2 * 4 * 4 * 12 * 2 * 9


def test_grouped_conv_exports_to_torch_and_back():
    torch = pytest.importorskip("torch")
    from chaingrad.export import from_torch, to_torch

    ours = nn.Sequential(nn.Conv2d(4, 8, 3, padding=1, groups=4), nn.ReLU(), nn.Conv2d(8, 6, 1))
    theirs = to_torch(ours)
    assert theirs[0].groups == 4
    x = np.random.default_rng(9).standard_normal((2, 4, 5, 5)).astype(np.float32)
    expected = ours(Tensor(x)).numpy()
    np.testing.assert_allclose(theirs(torch.tensor(x)).detach().numpy(), expected, atol=1e-5)
    back = from_torch(theirs)
    assert back[0].groups == 4
    np.testing.assert_allclose(back(Tensor(x)).numpy(), expected, atol=1e-5)
    with pytest.raises(ValueError, match="Conv1d with groups=2 is not supported"):
        from_torch(torch.nn.Conv1d(4, 4, 3, groups=2))


def test_grouped_conv_exports_to_onnx(tmp_path):
    onnx_lib = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from chaingrad.export import onnx

    model = nn.Sequential(nn.Conv2d(6, 6, 3, padding=1, groups=6), nn.Conv2d(6, 4, 3, groups=2))
    x = np.random.default_rng(10).standard_normal((2, 6, 5, 5)).astype(np.float32)
    path = tmp_path / "grouped.onnx"
    onnx(model, Tensor(x[:1]), path)
    onnx_lib.checker.check_model(onnx_lib.load(str(path)), full_check=True)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input0": x})
    np.testing.assert_allclose(got, model(Tensor(x)).numpy(), rtol=1e-5, atol=1e-5)
