"""``onnx(model, example_input, path)``: chaingrad's traced graph written with the ``onnx``
package (no torch involved), opset 17, batch axis dynamic.

Each traced step becomes ONNX nodes: a layer its ONNX twin (``Gemm``, ``Conv``,
``BatchNormalization`` with the running statistics, ``LSTM`` with the gates reordered, ...),
a glue op its ONNX operator. The model is written as it evaluates (dropout off, batch norm on
running statistics), as ``torch.onnx.export`` does for a model in eval mode.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

import chaingrad.nn as nn
from chaingrad.export.trace import ExportError, Program, Step, trace

OPSET = 17
UNARY_ONNX = {
    "relu": "Relu",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "exp": "Exp",
    "log": "Log",
    "neg": "Neg",
    "sqrt": "Sqrt",
    "abs": "Abs",
}
BINARY_ONNX = {"add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "pow": "Pow"}
BINARY_ONNX["matmul"] = "MatMul"
# torch gate order -> ONNX gate order (blocks of hidden_size rows)
GATE_ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN": [0]}  # ifgo->iofc, rzn->zrh


def onnx(model: nn.Module, example_input: Any, path: str | os.PathLike[str]) -> Any:
    """Write ``model`` as an ONNX file at ``path`` (opset 17, axis 0 of each input dynamic);
    returns the ``onnx.ModelProto``. Ops export cannot translate raise an ``ExportError``."""
    try:
        import onnx as onnx_lib
    except ImportError:
        raise ImportError(
            "chaingrad.export.onnx: onnx is not installed (pip install 'chaingrad[export]')"
        ) from None
    inputs = example_input if isinstance(example_input, tuple) else (example_input,)
    program = trace(model, *inputs)
    proto = _Writer(program, model, onnx_lib).build()
    onnx_lib.checker.check_model(proto, full_check=True)
    from chaingrad.autograd.files import write_bytes

    write_bytes(path, proto.SerializeToString())  # atomic, as every file chaingrad writes
    return proto


class _Writer:
    def __init__(self, program: Program, model: nn.Module, onnx_lib: Any) -> None:
        self.p, self.model, self.onnx = program, model, onnx_lib
        self.h = onnx_lib.helper
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.names: dict[int, Any] = {}  # value id -> ONNX name (or list of names for layers)
        self.count = 0
        self.state = {**dict(model.named_parameters()), **dict(model.named_buffers())}

    def tmp(self, hint: str = "t") -> str:
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, array: Any, hint: str = "c") -> str:
        name = self.tmp(hint)
        self.inits.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def ints(self, values: Any) -> str:
        return self.const(np.asarray(values, np.int64), "shape")

    def node(self, op: str, inputs: list[str], n_out: int = 1, **attrs: Any) -> Any:
        outs = [self.tmp(op.lower()) for _ in range(n_out)]
        self.nodes.append(self.h.make_node(op, inputs, outs, **attrs))
        return outs[0] if n_out == 1 else outs

    def build(self) -> Any:
        graph_inputs = []
        first = self.p.shapes[self.p.inputs[0]]
        self.batch = first[0] if first else None
        for v in self.p.inputs:
            shape = ["batch", *self.p.shapes[v][1:]] if self.p.shapes[v] else []
            elem = self.h.np_dtype_to_tensor_dtype(self.p.dtypes[v])
            name = f"input{len(graph_inputs)}"
            graph_inputs.append(self.h.make_tensor_value_info(name, elem, shape))
            self.names[v] = name
        for step in self.p.steps:
            if step.kind == "input":
                continue
            if step.kind == "param":
                self.names[step.out] = self.const(np.array(self.state[step.name].numpy()), "p")
            elif step.kind == "const":
                self.names[step.out] = self.const(step.attrs["data"])
            elif step.kind == "item":
                self.names[step.out] = self.names[step.inputs[0]][step.attrs["position"]]
            elif step.kind == "layer":
                self.names[step.out] = self.layer(step)
            else:
                self.names[step.out] = self.op(step)
        outputs = []
        for i, v in enumerate(self.p.flat_outputs()):
            name = f"output{i}"
            self.nodes.append(self.h.make_node("Identity", [self.names[v]], [name]))
            elem = self.h.np_dtype_to_tensor_dtype(self.p.dtypes[v])
            shape: list[Any] = list(self.p.shapes[v])
            if shape:  # axis 0 follows the input's batch (or time, for time-major RNNs)
                shape[0] = "batch" if shape[0] == self.batch else f"{name}_axis0"
            outputs.append(self.h.make_tensor_value_info(name, elem, shape))
        graph = self.h.make_graph(
            self.nodes, type(self.model).__name__, graph_inputs, outputs, self.inits
        )
        opset = [self.h.make_opsetid("", OPSET)]
        return self.h.make_model(graph, opset_imports=opset, producer_name="chaingrad")

    # ------------------------------------------------------------------ glue ops
    def op(self, step: Step) -> str:
        args = [self.names[v] for v in step.inputs]
        op, attrs = step.name, step.attrs
        if op in UNARY_ONNX:
            return self.node(UNARY_ONNX[op], args)
        if op in BINARY_ONNX:
            return self.node(BINARY_ONNX[op], args)
        if op == "linear":
            y = self.node("MatMul", [args[0], self.node("Transpose", [args[1]], perm=[1, 0])])
            return self.node("Add", [y, args[2]]) if len(args) > 2 else y
        if op == "leaky_relu":
            return self.node("LeakyRelu", args, alpha=attrs["slope"])
        if op == "reshape":
            shape = list(attrs["shape"])
            source = self.p.shapes[step.inputs[0]]
            if shape and source and shape[0] == source[0]:
                shape[0] = 0  # ONNX Reshape: 0 copies the input's (dynamic) batch size
            return self.node("Reshape", [args[0], self.ints(shape)])
        if op in ("permute", "transpose"):
            return self.node("Transpose", args, perm=list(attrs["perm"]))
        if op in ("sum", "mean"):
            if not attrs["axes"]:
                return self.node("Identity", args)
            kind = "ReduceSum" if op == "sum" else "ReduceMean"
            keep = int(attrs["keepdims"])
            if kind == "ReduceSum":
                return self.node(kind, [args[0], self.ints(attrs["axes"])], keepdims=keep)
            return self.node(kind, args, axes=list(attrs["axes"]), keepdims=keep)
        if op == "softmax":
            return self.node("Softmax", args, axis=attrs["axis"])
        if op == "log_softmax":
            return self.node("LogSoftmax", args, axis=attrs["axis"])
        if op == "concatenate":
            return self.node("Concat", args, axis=attrs["axis"])
        if op == "stack":
            axis = attrs["axis"]
            parts = [self.node("Unsqueeze", [a, self.ints([axis])]) for a in args]
            return self.node("Concat", parts, axis=axis)
        raise ExportError(f"onnx: op {op!r} has no ONNX translation")

    # ------------------------------------------------------------------ layers
    def weight(self, layer: str, name: str) -> str:
        return self.const(np.array(self.state[f"{layer}.{name}" if layer else name].numpy()), "w")

    def layer(self, step: Step) -> Any:
        m = self.p.layers[step.name]
        args = [self.names[v] for v in step.inputs]
        kind = type(m).__name__
        x, name = args[0], step.name
        rank = len(self.p.shapes[step.inputs[0]])
        has_bias = getattr(m, "bias", None) is not None
        if isinstance(m, nn.Linear):
            w = self.weight(name, "weight")
            if rank == 2:
                b = [self.weight(name, "bias")] if has_bias else []
                return self.node("Gemm", [x, w, *b], transB=1)
            y = self.node("MatMul", [x, self.node("Transpose", [w], perm=[1, 0])])
            return self.node("Add", [y, self.weight(name, "bias")]) if has_bias else y
        if isinstance(m, nn.Conv2d | nn.Conv1d):
            two = isinstance(m, nn.Conv2d)
            k = list(m.kernel_size) if two else [m.kernel_size]
            s = list(m.stride) if two else [m.stride]
            pad = list(m.padding) if two else [m.padding]
            b = [self.weight(name, "bias")] if has_bias else []
            w = self.weight(name, "weight")
            group = {"group": m.groups} if getattr(m, "groups", 1) != 1 else {}
            return self.node("Conv", [x, w, *b], kernel_shape=k, strides=s, pads=pad + pad, **group)
        if isinstance(m, nn.MaxPool2d | nn.AvgPool2d):
            k = list(_pair(m.kernel_size))
            s = list(_pair(m.kernel_size if m.stride is None else m.stride))
            pad = list(_pair(m.padding))
            if isinstance(m, nn.MaxPool2d):
                return self.node("MaxPool", [x], kernel_shape=k, strides=s, pads=pad + pad)
            # chaingrad (as PyTorch's default) counts the zero padding in the average
            attrs = {"kernel_shape": k, "strides": s, "pads": pad + pad, "count_include_pad": 1}
            return self.node("AveragePool", [x], **attrs)
        if isinstance(m, nn.AdaptiveAvgPool2d):
            return self.adaptive(m, x, self.p.shapes[step.inputs[0]], name)
        if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            stats = [
                self.weight(name, n) for n in ("weight", "bias", "running_mean", "running_var")
            ]
            return self.node("BatchNormalization", [x, *stats], epsilon=float(m.eps))
        if isinstance(m, nn.LayerNorm):
            shape = m.normalized_shape
            dtype = self.p.dtypes[step.inputs[0]]
            scale = (
                self.weight(name, "weight")
                if m.weight is not None
                else self.const(np.ones(shape, dtype))
            )
            b = [self.weight(name, "bias")] if has_bias else []
            axis = -len(shape)
            return self.node("LayerNormalization", [x, scale, *b], axis=axis, epsilon=m.eps)
        if isinstance(m, nn.Dropout | nn.Identity):
            return self.node("Identity", [x])
        if isinstance(m, nn.Embedding):
            return self.node("Gather", [self.weight(name, "weight"), x], axis=0)
        if isinstance(m, nn.Flatten):
            start, end = m.start_axis % rank, m.end_axis % rank
            if start == 1 and end == rank - 1:
                return self.node("Flatten", [x], axis=1)
            shape = [0] * start + [-1] + list(self.p.shapes[step.inputs[0]][end + 1 :])
            return self.node("Reshape", [x, self.ints(shape)])
        simple = {"ReLU": "Relu", "Tanh": "Tanh", "Sigmoid": "Sigmoid", "SELU": "Selu"}
        if kind in simple:
            return self.node(simple[kind], [x])
        if isinstance(m, nn.LeakyReLU):
            return self.node("LeakyRelu", [x], alpha=float(m.slope))
        if isinstance(m, nn.ELU):
            return self.node("Elu", [x], alpha=float(m.alpha))
        if isinstance(m, nn.Softmax | nn.LogSoftmax):
            return self.node(kind, [x], axis=int(m.axis))
        if kind in ("RNN", "LSTM", "GRU"):
            return self.recurrent(m, step, args)
        if kind in ("RNNCell", "LSTMCell", "GRUCell"):
            return self.cell(m, step, args)
        raise ExportError(f"onnx: layer {name!r} ({kind}) has no ONNX translation")

    def adaptive(self, m: Any, x: str, shape: tuple[int, ...], name: str) -> str:
        h, w = shape[-2:]
        oh, ow = (m.output_size, m.output_size) if isinstance(m.output_size, int) else m.output_size
        oh, ow = h if oh is None else oh, w if ow is None else ow
        if (oh, ow) == (1, 1):
            return self.node("GlobalAveragePool", [x])
        if h % oh or w % ow:
            raise ExportError(
                f"onnx: {name!r} AdaptiveAvgPool2d to {(oh, ow)} from {(h, w)}: only sizes that "
                "divide the input export (as equal windows)"
            )
        k = [h // oh, w // ow]
        return self.node("AveragePool", [x], kernel_shape=k, strides=k)

    def gates(self, kind: str, array: np.ndarray, hidden: int) -> np.ndarray:
        blocks = [array[i * hidden : (i + 1) * hidden] for i in GATE_ORDER[kind]]
        return np.concatenate(blocks, axis=0)

    def rnn_node(
        self, m: Any, kind: str, x: str, h0: str, c0: str, suffixes: list[str]
    ) -> list[str]:
        """One ONNX RNN/LSTM/GRU node over the directions ``suffixes``; [Y, Y_h(, Y_c)]."""
        hidden = m.hidden_size
        ws, rs, bs = [], [], []
        for suffix in suffixes:
            get = lambda n, s=suffix: getattr(m, f"{n}{s}", None)  # noqa: E731
            ws.append(self.gates(kind, get("weight_ih").numpy(), hidden))
            rs.append(self.gates(kind, get("weight_hh").numpy(), hidden))
            if get("bias_ih") is not None:
                b_ih = self.gates(kind, get("bias_ih").numpy(), hidden)
                b_hh = self.gates(kind, get("bias_hh").numpy(), hidden)
            else:
                b_ih = b_hh = np.zeros(ws[-1].shape[0], ws[-1].dtype)
            bs.append(np.concatenate([b_ih, b_hh]))
        ins = [x, self.const(np.stack(ws)), self.const(np.stack(rs)), self.const(np.stack(bs))]
        ins += ["", h0]
        attrs: dict[str, Any] = {"hidden_size": hidden}
        if len(suffixes) == 2:
            attrs["direction"] = "bidirectional"
        if kind == "LSTM":
            ins.append(c0)
        elif kind == "GRU":
            attrs["linear_before_reset"] = 1  # PyTorch's n = tanh(W_in x + r * (W_hn h + b_hn))
        else:
            act = "Relu" if m.nonlinearity == "relu" else "Tanh"
            attrs["activations"] = [act] * len(suffixes)
        while ins and ins[-1] == "":
            ins.pop()
        return self.node(kind, ins, n_out=3 if kind == "LSTM" else 2, **attrs)

    def recurrent(self, m: Any, step: Step, args: list[str]) -> list[str]:
        kind = type(m).__name__
        if len(self.p.shapes[step.inputs[0]]) != 3:
            raise ExportError(f"onnx: {kind} {step.name!r}: only batched (3-D) input exports")
        x = args[0]
        if m.batch_first:
            x = self.node("Transpose", [x], perm=[1, 0, 2])
        state = step.attrs["args"][1] if len(step.attrs["args"]) > 1 else None
        h0_all = c0_all = ""
        if state is not None:
            h0_v, c0_v = state if kind == "LSTM" else (state, None)
            h0_all = self.names[h0_v]
            c0_all = "" if c0_v is None else self.names[c0_v]
        directions = 2 if m.bidirectional else 1
        suffixes = ["", "_reverse"][:directions]
        h_finals, c_finals = [], []
        for layer in range(m.num_layers):

            def part(full: str, layer: int = layer) -> str:
                if not full:
                    return ""
                lo, hi = self.ints([layer * directions]), self.ints([(layer + 1) * directions])
                return self.node("Slice", [full, lo, hi, self.ints([0])])

            outs = self.rnn_node(
                m, kind, x, part(h0_all), part(c0_all), [f"_l{layer}{s}" for s in suffixes]
            )
            # Y is (T, D, B, H); PyTorch's output is (T, B, D·H)
            y = self.node("Transpose", [outs[0]], perm=[0, 2, 1, 3])
            x = self.node("Reshape", [y, self.ints([0, 0, -1])])
            h_finals.append(outs[1])
            if kind == "LSTM":
                c_finals.append(outs[2])
        output = self.node("Transpose", [x], perm=[1, 0, 2]) if m.batch_first else x
        h_n = self.node("Concat", h_finals, axis=0) if len(h_finals) > 1 else h_finals[0]
        if kind == "LSTM":
            c_n = self.node("Concat", c_finals, axis=0) if len(c_finals) > 1 else c_finals[0]
            return [output, h_n, c_n]
        return [output, h_n]

    def cell(self, m: Any, step: Step, args: list[str]) -> Any:
        kind = type(m).__name__.removesuffix("Cell")
        if len(self.p.shapes[step.inputs[0]]) != 2:
            raise ExportError(f"onnx: {kind}Cell {step.name!r}: only batched (2-D) input exports")
        zero = self.ints([0])
        x = self.node("Unsqueeze", [args[0], zero])
        state = step.attrs["args"][1] if len(step.attrs["args"]) > 1 else None
        h0 = c0 = ""
        if state is not None:
            h0_v, c0_v = state if kind == "LSTM" else (state, None)
            h0 = self.node("Unsqueeze", [self.names[h0_v], zero])
            c0 = "" if c0_v is None else self.node("Unsqueeze", [self.names[c0_v], zero])
        # a cell's parameters have no layer suffix: weight_ih, bias_hh, ...
        outs = self.rnn_node(m, kind, x, h0, c0, [""])
        h = self.node("Squeeze", [outs[1], zero])
        if kind == "LSTM":
            return [h, self.node("Squeeze", [outs[2], zero])]
        return h


def _pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)


__all__ = ["OPSET", "onnx"]
