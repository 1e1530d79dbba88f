"""Export chaingrad models to PyTorch and ONNX, and import PyTorch weights back.

torch and onnx are optional: they are imported only inside these functions.
"""

from __future__ import annotations

from chaingrad.export.onnx_export import onnx
from chaingrad.export.to_torch import from_torch, to_torch
from chaingrad.export.trace import SUPPORTED_OPS, ExportError, trace

__all__ = ["SUPPORTED_OPS", "ExportError", "from_torch", "onnx", "to_torch", "trace"]
