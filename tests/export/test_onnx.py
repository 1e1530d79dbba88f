"""onnx(): every layer kind, checked by onnx.checker and run by onnxruntime at another batch."""

from __future__ import annotations

import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn as nn
from chaingrad.export import ExportError, onnx
from tests.export.cases import CASES, Custom, flat

onnx_lib = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


@pytest.mark.parametrize(("name", "make", "data"), CASES, ids=[c[0] for c in CASES])
def test_onnxruntime_matches_chaingrad(name, make, data, tmp_path) -> None:
    cg.manual_seed(0)
    model = make().eval()
    path = tmp_path / f"{name}.onnx"
    proto = onnx(model, cg.tensor(data(np.random.default_rng(0))), path)
    assert proto.opset_import[0].version >= 17
    onnx_lib.checker.check_model(onnx_lib.load(str(path)), full_check=True)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    # three times the traced size on axis 0 (the batch; the time for time-major RNNs): dynamic
    rng = np.random.default_rng(7)
    x = np.concatenate([data(rng), data(rng), data(rng)])
    results = session.run(None, {"input0": x})
    expected = flat(model(cg.tensor(x)))
    assert len(results) == len(expected)
    for got, want in zip(results, expected):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-5, atol=1e-5)


def test_input_axis_0_is_named_batch(tmp_path) -> None:
    proto = onnx(nn.Linear(3, 2), cg.randn(4, 3), tmp_path / "m.onnx")
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and dims[1].dim_value == 3


def test_unsupported_op_is_named(tmp_path) -> None:
    class Cumulative(nn.Module):
        def forward(self, x):
            return x.cumsum(1)

    with pytest.raises(ExportError, match="op 'cumsum'"):
        onnx(Cumulative(), cg.randn(2, 3), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_adaptive_pool_that_does_not_divide_is_refused(tmp_path) -> None:
    with pytest.raises(ExportError, match=r"AdaptiveAvgPool2d to \(2, 2\) from \(5, 5\)"):
        onnx(nn.AdaptiveAvgPool2d(2), cg.randn(1, 1, 5, 5), tmp_path / "m.onnx")


def test_export_leaves_the_training_flag_alone(tmp_path) -> None:
    model = Custom().train()
    onnx(model, cg.randn(2, 2, 2, 2), tmp_path / "m.onnx")
    assert all(m.training for m in model.modules())
