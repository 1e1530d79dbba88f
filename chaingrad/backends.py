"""``chaingrad.backends``, as ``torch.backends``: settings a CPU program sets for reproducibility.

chaingrad has no cuDNN, MPS or TF32: ``torch.backends.cudnn.deterministic = True`` and
``benchmark = False`` are accepted and change nothing (chaingrad's kernels are deterministic on
the CPU), and every ``is_available()`` answers False, as PyTorch does on a machine without them.
"""

from __future__ import annotations

from types import SimpleNamespace

__all__ = ["cuda", "cudnn", "mkldnn", "mps", "opt_einsum"]


def _not_available() -> bool:
    """False: this backend does not exist in chaingrad."""
    return False


def _version() -> None:
    """None, as ``torch.backends.cudnn.version()`` on a build without cuDNN."""
    return None


# Plain attribute namespaces: programs write flags into them (``cudnn.deterministic = True``).
cudnn = SimpleNamespace(
    deterministic=False,
    benchmark=False,
    enabled=True,
    allow_tf32=True,
    is_available=_not_available,
    version=_version,
)
mps = SimpleNamespace(is_available=_not_available, is_built=_not_available)
mkldnn = SimpleNamespace(enabled=True, is_available=_not_available)
cuda = SimpleNamespace(
    matmul=SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True),
    is_built=_not_available,
)
opt_einsum = SimpleNamespace(enabled=True, is_available=_not_available)
