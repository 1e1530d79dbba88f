"""Devices as PyTorch names them; chaingrad has one, the CPU.

``device("cpu")`` is what ``Tensor.device`` returns and what ``Tensor.to`` accepts; asking for
any other device (``"cuda"``, ``"mps"``) is a clear error, and ``cuda.is_available()`` is False,
so ``device = "cuda" if chaingrad.cuda.is_available() else "cpu"`` picks the CPU.
"""

from __future__ import annotations

from typing import Any

CPU_ONLY = "chaingrad runs on the CPU only"


class device:  # noqa: N801 - PyTorch's name
    """A device: only ``device("cpu")`` (an index such as ``"cpu:0"`` is accepted and dropped)."""

    __slots__ = ("type",)

    def __init__(self, spec: Any = "cpu", index: int | None = None) -> None:
        if isinstance(spec, device):
            spec = spec.type
        if not isinstance(spec, str):
            raise TypeError(f"device: expected a string such as 'cpu', got {spec!r}")
        kind = spec.split(":", 1)[0].strip().lower()
        if kind != "cpu":
            raise RuntimeError(f"device {spec!r}: {CPU_ONLY}")
        self.type = "cpu"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return other.split(":", 1)[0] == self.type
        return isinstance(other, device) and other.type == self.type

    def __hash__(self) -> int:
        return hash(self.type)

    def __repr__(self) -> str:
        return f"device(type='{self.type}')"

    def __str__(self) -> str:
        return self.type


CPU = device("cpu")


class cuda:  # noqa: N801 - PyTorch's module name, as a namespace
    """``chaingrad.cuda``: there is no GPU, so nothing is available."""

    @staticmethod
    def is_available() -> bool:
        """Always False: chaingrad runs on the CPU only."""
        return False

    @staticmethod
    def device_count() -> int:
        """Always 0."""
        return 0

    @staticmethod
    def manual_seed(seed: int) -> None:
        """Accepted and ignored (there is no GPU stream to seed), as PyTorch without CUDA."""

    @staticmethod
    def manual_seed_all(seed: int) -> None:
        """Accepted and ignored, as PyTorch without CUDA."""
