"""``chaingrad.nn.utils.rnn``, part of ``torch.nn.utils.rnn``: ``pad_sequence``.

Packed sequences (``pack_padded_sequence``) are not provided: pad, and mask the padding.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from chaingrad.autograd import Tensor, as_tensor, concatenate, stack

__all__ = ["pad_sequence"]


def pad_sequence(
    sequences: Sequence[Tensor],
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack tensors of shapes (L_i, *) into (max L, B, *) (or (B, max L, *) with batch_first),
    filling with ``padding_value``; differentiable in the sequences, as PyTorch's."""
    seqs = [s if isinstance(s, Tensor) else as_tensor(s) for s in sequences]
    if not seqs:
        raise ValueError("pad_sequence: got no sequences")
    if padding_side not in ("right", "left"):
        raise ValueError(
            f"pad_sequence: padding_side must be 'right' or 'left', got {padding_side!r}"
        )
    trailing = {tuple(s.shape[1:]) for s in seqs if s.ndim >= 1}
    if any(s.ndim == 0 for s in seqs) or len(trailing) != 1:
        shapes = [tuple(s.shape) for s in seqs]
        raise ValueError(
            f"pad_sequence: sequences must be (L, *) with equal trailing shapes, got {shapes}"
        )
    longest = max(s.shape[0] for s in seqs)
    padded = []
    for s in seqs:
        missing = longest - s.shape[0]
        if missing:
            fill = Tensor(np.full((missing, *s.shape[1:]), padding_value, dtype=s.dtype))
            s = concatenate([s, fill] if padding_side == "right" else [fill, s], axis=0)
        padded.append(s)
    return stack(padded, axis=0 if batch_first else 1)
